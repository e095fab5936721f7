"""Reports rendered from result records, and the rules they are written by.

``format`` holds every number-to-text rule and the outcome table (written once);
``writers`` is the only writer of report files, for the plugin and the command alike;
``json_report`` is the source of truth the others render: ``terminal``, ``markdown``,
``html`` (with ``html_tables`` and the ``svg`` of a ``chart``), ``plot`` and ``diff``.
A chart's labels are laid out once, for the SVG and the plot alike: ``labels`` holds the
geometry (boxes that must not overlap), ``chart_labels`` the chart's own labels. The
command adds ``gate`` (a diff as a CI gate), ``merge`` (several runs as one report),
``machines``, ``inputs`` (reports and baselines read), ``sweep_table`` and ``padded``.
"""
