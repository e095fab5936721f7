"""Examples of pytest-roofline budgets on real numpy kernels, run against ``local``.

``local`` is this machine, measured on first use: the GEMMs are compute-bound and the
vector kernels memory-bound, so the summary shows both sides of the roofline.
"""
