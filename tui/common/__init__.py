"""The bottom layer, shared by the data layer, the simulator, the game day and the console: the
fault catalogue and its FIS tags (``catalogue``), the AWS rules the console and the simulator
must read alike (``aws_rules``), durations read from text (``durations``), every
time and duration format (``timefmt``), the one text cleaner (``text``), the one secret scrubber
(``secrets``) and the one JSON Lines appender (``jsonl``).

No Textual or Rich imports, and nothing of warroom's above it (the import contracts in
pyproject.toml hold this).
"""
