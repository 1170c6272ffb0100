"""Stage 4, many runs gathered into one table, and the figures that compare them.

The sweep folder (``folder``), the batched sweeper's chunks (``batched``), progress, gathering
(``gather``) and the comparison figures (``figures``, ``heatmap``, ``tradeoff``). Imports the
stages below it (``run``, ``model``, ``config``), never analysis or the commands.
"""
