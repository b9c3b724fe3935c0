// Cooperative cancellation for the core's long loops: the glue installs a probe that says whether the server wants
// this statement stopped (cancel, statement_timeout, terminate); the core polls it and throws Interrupted, which
// the error boundary turns back into the server's own error once every C++ object is gone.
#pragma once
#include <cstdint>

#include "ecpipe/error.hpp"

namespace ecpipe {

// True when the statement must stop. Must be cheap and must not throw or longjmp (it only reads flags).
using InterruptProbe = bool (*)();

// Installed once by the glue at load time; nullptr (the default, as in unit tests) means never interrupted.
void set_interrupt_probe(InterruptProbe probe);

// Thrown by poll_interrupts(); carries no message of its own: the boundary asks the server for the real one.
class Interrupted : public Error {
 public:
  Interrupted() : Error(ErrorKind::Internal, "canceling statement: interrupted while ecpipe was working") {}
};

namespace detail {
extern InterruptProbe interrupt_probe;
}

// Throws Interrupted when the server asked to stop. Cheap enough for every line of a batch.
inline void poll_interrupts() {
  if (detail::interrupt_probe != nullptr && detail::interrupt_probe()) throw Interrupted();
}

// Polls once every `every` calls: for inner loops (regex steps, bytes) where even a load is too much.
class InterruptCounter {
 public:
  explicit InterruptCounter(uint32_t every = 4096) : every_(every), left_(every) {}
  void tick() {
    if (--left_ == 0) {
      left_ = every_;
      poll_interrupts();
    }
  }

 private:
  uint32_t every_;
  uint32_t left_;
};

}  // namespace ecpipe
