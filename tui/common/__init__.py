"""The small layer shared by the data layer, the simulator and the game day: the one text cleaner
(``text``), the one secret scrubber (``secrets``), the one JSON Lines appender (``jsonl``) and the
one codec for snapshots, recordings, journals and the TOML files (``codec``).
No Textual or Rich imports, and nothing from tui.aws, tui.sim, tui.gameday or tui.screens."""
