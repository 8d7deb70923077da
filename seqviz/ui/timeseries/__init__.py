"""The time-series page's UI: its data controls and live panel."""
