"""eMentor matching engine: pure numpy/scipy, no Django."""
