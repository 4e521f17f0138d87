__version__ = "0.1.0"

import warnings as _warnings

# In a Jupyter kernel without ipywidgets (papermill's), `tqdm.auto` warns with its own file's absolute path and falls
# back to the text bars archft shows anyway; a reproduce notebook's outputs are results and carry no machine's paths.
_warnings.filterwarnings("ignore", message="IProgress not found")
