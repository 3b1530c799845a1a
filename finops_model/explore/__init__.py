"""The interactive explorer: move an assumption and see the case move (JupyterLab and Voila)."""
