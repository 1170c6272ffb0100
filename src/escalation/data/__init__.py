"""Package data: the sourced timeline of dated events that ``escalation-backtest`` replays."""
