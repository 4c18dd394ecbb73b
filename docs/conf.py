"""Sphinx configuration of the mmsk documentation.

Build it with ``tools/build_docs`` (the HTML lands in ``docs/_build/html``). The user guide
pages are the Markdown files next to this one, read by MyST unchanged; the API reference is
``api.rst`` with a generated page per public name; the gallery runs the scripts of
``examples/`` and keeps their pictures.
"""

import re
from pathlib import Path

import mmsk

project = "mmsk"
author = "The mmsk developers"
copyright = "the mmsk developers"
version = mmsk.__version__
release = mmsk.__version__

REPOSITORY_URL = "https://github.com/mmsk-dev/mmsk"
DOCS_FOLDER = Path(__file__).resolve().parent

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**/*.zip"]

# -- API reference -------------------------------------------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
# numpydoc writes the methods' table itself from the class template; its own member
# listing would repeat every inherited scikit-learn method a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Markdown user guide -------------------------------------------------------------------

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# The guide pages link to reports under benchmarks/, outside the documentation's source
# folder; in the built site those links point at the files in the repository instead.
_OUTSIDE_LINK = re.compile(r"\]\(\.\./((?:benchmarks|tools|tests|mmsk)/[^)\s]*)\)")


def link_files_outside_the_docs(app, docname, source):
    """Point the Markdown guide's relative links out of ``docs/`` at the repository."""
    if app.env.doc2path(docname).suffix == ".md":
        source[0] = _OUTSIDE_LINK.sub(rf"]({REPOSITORY_URL}/blob/main/\1)", source[0])


# A numpydoc "name : type" line, such as "feature_names_in_ : ndarray of shape (n_features_in_,)".
_TYPE_LINE = re.compile(r"^(\s*[\w*][\w*, ]* : )(.+)$")
# A fitted attribute's name inside a type (n_features_in_), not a reST reference.
_ATTRIBUTE_IN_TYPE = re.compile(r"(?<![\w`])(\w+_)(?![\w`])")


def quote_attributes_in_types(app, what, name, obj, options, lines):
    """Write fitted attributes named in numpydoc types as literals.

    ``(n_samples, n_features_in_)`` is the scikit-learn way to give a shape in a type; read
    as reStructuredText, ``n_features_in_`` would be a link to a missing target.
    """
    for index, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, type_text = match.groups()
            lines[index] = head + _ATTRIBUTE_IN_TYPE.sub(r"``\1``", type_text)


def defined_in_mmsk(member):
    """Whether a class member's code is mmsk's own rather than inherited from scikit-learn."""
    function = member.fget if isinstance(member, property) else member
    return (getattr(function, "__module__", None) or "").startswith("mmsk")


def skip_scikit_learn_members(app, what, name, member, skip, options):
    """Leave out of a class page the methods every scikit-learn estimator inherits.

    ``get_params``, ``set_output``, ``set_fit_request`` and the like are documented by
    scikit-learn; mmsk's pages list what mmsk defines or overrides.
    """
    if what == "class" and not defined_in_mmsk(member):
        return True
    return None


def setup(app):
    """Connect the link rewriting, the member filter and the type quoting."""
    app.connect("source-read", link_files_outside_the_docs)
    app.connect("autodoc-skip-member", skip_scikit_learn_members)
    # Before numpydoc (priority 500) turns the docstring's sections into reST.
    app.connect("autodoc-process-docstring", quote_attributes_in_types, priority=400)


# -- Gallery -------------------------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS_FOLDER.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("mmsk",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"mmsk": None},
    # A failing example fails the build, after every example has been tried.
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}

# -- HTML ----------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"mmsk {release}"
html_theme_options = {
    "github_url": REPOSITORY_URL,
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
