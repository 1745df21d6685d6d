"""Order of the examples in the gallery: the reading order of the user guide."""

ORDER = [
    "quickstart.py",
    "plot_class_weights_probabilities.py",
    "plot_bias_init.py",
    "plot_cost_decisions.py",
    "plot_prior_shift.py",
    "plot_grid_search_costs.py",
    "plot_imblearn_pipeline.py",
]


class ExampleOrder:
    """``within_subsection_order`` key: files of ``ORDER`` first, then by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = str(filename).rsplit("/", 1)[-1]
        return (ORDER.index(name), "") if name in ORDER else (len(ORDER), name)

    def __repr__(self):
        return "<ExampleOrder>"
