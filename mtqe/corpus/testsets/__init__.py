"""Pre-segmented, line-aligned test sets: line *i* of every text is segment *i*.

The field's standard data (WMT, FLORES, a lab's own sets) comes one segment per line, with
optional document ids and domains. Such a document is read as it is: no cleaning, no
re-segmentation, no alignment; empty lines are kept, never shifted or dropped.

* :mod:`.lines` — a text file → its lines, and the line-count check across texts;
* :mod:`.line_info` — per-line document ids and domains (WMT ``.docs`` layout or one id a line);
* :mod:`.wmt_xml` — the WMT XML test-set format (source, references, system outputs);
* :mod:`.line_document` — the texts of a line-segmented document → a ``ParallelDocument``;
* :mod:`.register` — ``mtqe corpus add-testset | import-wmt | remove``.
"""
