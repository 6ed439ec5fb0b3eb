"""The source articles' experiments, each written down once as its article states it (Part VI).

One module per article: the model, loss, optimizer settings, schedule and data split it states,
as values that the notebooks train with and that ``tests/test_article_*.py`` check against the
article's own numbers, so that a later edit cannot drift from the article unnoticed.

- :mod:`.decay`: "Decoding learning rate decay" (ionosphere), notebook 25.
- :mod:`.diamonds`: "Learning rates for deep learning models" (diamonds), notebooks 26a and 26b.
- :mod:`.tf_api`: "Learning rate decay", the TensorFlow API walk-through, notebooks 27a to 27c.
- :mod:`.choosing`: "Choosing a learning rate", notebooks 28a and 28b.
"""
