"""Hydra's plugin scan finds mtqe's search-path plugin here (see :mod:`mtqe.hydra_search_path`)."""

from mtqe.hydra_search_path import MtqeProjectSearchPath

__all__ = ["MtqeProjectSearchPath"]
