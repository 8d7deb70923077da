"""The time-series lesson (page 9): sequence models of numbers (《动手学深度学习》 8.1).

- ``signals``     the generated signals (sum of sines, plucked string, sawtooth, random walk)
- ``csvdata``     a numeric column of an uploaded CSV file, with its checks
- ``config``      ``TimeSeriesConfig``, the page's config (URL round trip)
- ``models``      the autoregressive MLP on tau past values and the recurrent forecaster, and
                  k-step-ahead prediction with the model's own outputs fed back
- ``markov``      linear autoregression for every tau by least squares: the Markov limit
- ``experiment``  both models trained on the training span, evaluated on the validation span
- ``live``        the engine run (training in a worker) and the page's server-side handle
- ``figures``     the signal with predictions, k-step forecasts, error against k and tau
- ``lecture``     the page's lecture steps

This ``__init__`` re-exports nothing on purpose: importing ``seqviz.timeseries.figures`` stays
free of torch.
"""
