"""The LLM judge metric (``type: llm-judge``): GEMBA-ESA- and GEMBA-MQM-style error-span
annotation by a causal LM (``gguf`` or ``hf_causal`` backend).

* :mod:`.prompts`: mtqe's prompt text for both protocols and its version;
* :mod:`.parse`: reading an answer (error lines, ESA score), locating the quoted spans;
* :mod:`.backend`: loading the LM with the systems stage's code and generating answers;
* :mod:`.metric`: :class:`~.metric.LlmJudgeMetric`, the :class:`~mtqe.metrics.neural.NeuralMetric`.
"""
