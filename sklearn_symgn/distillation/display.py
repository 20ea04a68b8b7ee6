"""Notebook display of the models made of equations: the equations, not an estimator diagram."""

import html

__all__ = ["EquationsDisplayMixin"]


class EquationsDisplayMixin:
    """Shows a model's equations in Jupyter (LaTeX, with a plain-text and an HTML fallback).

    scikit-learn's estimator diagram, which these models would otherwise get, shows their
    parameters and elides the equations. Subclasses give :meth:`latex` (one ``lhs = rhs`` line
    per equation) and ``__str__``.
    """

    def latex(self, digits=3):  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_latex_(self):
        lines = [line.replace(" = ", " &= ", 1) for line in self.latex()]
        return "$\\begin{aligned}" + " \\\\ ".join(lines) + "\\end{aligned}$"

    def _repr_html_(self):
        return f"<pre>{html.escape(str(self))}</pre>"

    def _repr_mimebundle_(self, **kwargs):
        return {"text/plain": str(self), "text/html": self._repr_html_(),
                "text/latex": self._repr_latex_()}
