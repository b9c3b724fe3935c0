-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then the upgrade scripts, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.3.0'" to load this file. \quit
