"""Trace (追溯): what happens to codes after activation, packing first."""
