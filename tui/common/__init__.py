"""The bottom layer, shared by the data layer, the simulator, the game day and the console: the
fault catalogue and its FIS tags (``catalogue``), the AWS rules the console and the simulator
must read alike (``aws_rules``), durations read from text (``durations``), every
time and duration format (``timefmt``), the one text cleaner (``text``), the one secret scrubber
(``secrets``), the one JSON Lines appender (``jsonl``), the one codec for snapshots, recordings,
journals and the TOML files (``codec``), and the process's own: where warroom keeps its files
(``paths``), logging to a file (``logs``), the garbage collector's settings (``runtime``), the
first frame painted before Textual is imported (``splash``) and a slow start run behind it
(``startup``).

No Textual or Rich imports, and nothing of warroom's above it (the import contracts in
pyproject.toml hold this).
"""
