"""Coverage: periods, counted visits, coverage by area and by cadre, due and overdue households."""
