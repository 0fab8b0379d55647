"""Views: plotly figures, Graphviz DOT and component data built from the studio's state."""
