"""Game days: the fault catalogue shared by the simulator and the console, the journal, its
detectors, business services and their impact tolerance, recordings, replay and the report.

Nothing here imports textual or rich, nor moto: the console, the simulator and the report all
read it.
"""
