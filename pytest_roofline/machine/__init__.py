"""The machine the tests run on: its description, its measured ceilings, its device.

Importing :mod:`.calibration` and :mod:`.detect` registers how the two hardware names no
file holds resolve: ``local`` (measured) and ``auto`` (detected). This package's own
import loads nothing, so that :mod:`.host` stays cheap for the plugin's header.
"""
