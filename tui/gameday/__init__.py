"""Game days: the journal, its detectors, business services and their impact tolerance,
recordings, replay and the report. The fault catalogue they share with the simulator is
``tui.common.catalogue``.

Nothing here imports textual or rich, nor moto: the console and the report read it.
"""
