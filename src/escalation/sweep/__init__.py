"""Stage 4, many runs gathered into one table, and the figures that compare them.

The sweep folder (``folder``), the batched sweeper's chunks (``batched``), progress, gathering
(``gather``), the policies' paired differences from a baseline (``differences``) and the
comparison figures (``difference_figure``, ``figures``, ``heatmap``, ``tradeoff``). Imports the
stages below it (``run``, ``model``, ``config``), never analysis or the commands.
"""
