"""Render Sphinx math as MathML at build time, with docutils' LaTeX converter.

The HTML pages then need no JavaScript and no network to show formulas: current
browsers (Chromium and Edge from version 109, Firefox, Safari) render MathML Core
natively. A formula the converter does not understand is a build warning, so
``sphinx-build -W`` catches it.

Enable with ``extensions = [..., "mathml"]`` (with this directory on
``sys.path``) and ``html_math_renderer = "mathml"``.
"""

from docutils import nodes
from docutils.utils.math import latex2mathml
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)


def _to_mathml(translator, node, latex, *, block):
    try:
        return latex2mathml.tex2mathml(latex, as_block=block)
    except Exception as exc:  # the converter raises bare SyntaxError and others
        logger.warning("cannot convert LaTeX %r to MathML: %s", latex, exc,
                       location=node, type="mathml")
        return f"<code>{translator.encode(latex)}</code>"


def visit_math(translator, node):
    translator.body.append(translator.starttag(node, "span", "", CLASS="math"))
    translator.body.append(_to_mathml(translator, node, node.astext(), block=False))
    translator.body.append("</span>")
    raise nodes.SkipNode


def visit_displaymath(translator, node):
    translator.body.append(translator.starttag(node, "div", CLASS="math"))
    if node["number"]:
        number = get_node_equation_number(translator, node)
        translator.body.append(f'<span class="eqno">({number})')
        translator.add_permalink_ref(node, _("Link to this equation"))
        translator.body.append("</span>")
    # Blank-line separated equations of one directive become rows of one table.
    parts = [part.strip() for part in node.astext().split("\n\n") if part.strip()]
    latex = r" \\ ".join(parts)
    translator.body.append(_to_mathml(translator, node, latex, block=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(visit_math, None),
        block_renderers=(visit_displaymath, None),
    )
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
