"""Corpus stage: the manifest of reference texts, their cleaning, segmentation and alignment.

Entry points (import them from their modules; this package imports nothing eagerly so that
listing or validating a configuration never parses a text):

* :func:`mtqe.corpus.manifest.load_manifest` — read and validate ``references/manifest.yaml``;
* :func:`mtqe.corpus.loader.load_parallel_document` — one document, one language pair,
  cleaned and aligned by paragraph or by sentence (n:m, with confidences and notes);
* :func:`mtqe.corpus.align.sentences.align_sentences` — n:m sentence alignment of two lists
  (the aligners live in :mod:`mtqe.corpus.align`);
* :func:`mtqe.corpus.segment.split_sentences` — sentence splitting for ja/zh/en;
* ``mtqe corpus list|show|align|add|fetch`` — :mod:`mtqe.corpus.cli_corpus`.

See ``docs/corpus.md`` for the manifest schema, the cleaning rules and the alignment.
"""
