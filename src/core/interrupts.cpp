// The probe the core polls for cancellation (see include/ecpipe/interrupts.hpp).
#include "ecpipe/interrupts.hpp"

#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace detail {
InterruptProbe interrupt_probe = nullptr;
}

void set_interrupt_probe(InterruptProbe probe) { detail::interrupt_probe = probe; }

}  // namespace ecpipe
