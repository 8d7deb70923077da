"""The time-series lesson's core: signals, CSV columns, both forecasters, k-step prediction,
the least-squares Markov curve, the experiment and its figures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from seqviz.config import check, from_query, to_query
from seqviz.timeseries.config import HORIZON, TimeSeriesConfig
from seqviz.timeseries.csvdata import CsvError, decode_csv, read_table
from seqviz.timeseries.experiment import MIN_POINTS, TimeSeriesExperiment, make_series
from seqviz.timeseries.markov import fit, markov_curve
from seqviz.timeseries.models import ARModel, RNNForecaster, forecast, one_step
from seqviz.timeseries.signals import SIGNALS, generate

TINY = TimeSeriesConfig(length=300, noise=0.0, tau=8, hidden_size=16, seq_len=16,
                        batch_size=16)


# ---- signals and series ---------------------------------------------------------------------
@pytest.mark.parametrize("signal", SIGNALS)
def test_signals_are_reproducible_and_near_unit_scale(signal):
    a, b = generate(signal, 1000, 0.2, 3), generate(signal, 1000, 0.2, 3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1000,) and np.all(np.isfinite(a))
    assert 0.7 < generate(signal, 1000, 0.0, 3).std() < 1.3
    assert not np.array_equal(a, generate(signal, 1000, 0.2, 4))


def test_series_is_standardised_on_its_training_span_only():
    s = make_series(TimeSeriesConfig(signal="walk"))
    assert s.train_end == 600
    assert abs(s.x[:600].mean()) < 1e-9 and abs(s.x[:600].std() - 1) < 1e-9
    o = s.origins
    assert o[0] == 599 and o[-1] + HORIZON == 999


# ---- models and k-step prediction ------------------------------------------------------------
@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_k_step_prediction_with_k_1_equals_one_step_prediction(cell):
    torch.manual_seed(0)
    x = torch.tensor(generate("sines", 300, 0.2, 0), dtype=torch.float32)
    origins = np.arange(40, 290)
    for model in (ARModel(12, 16), RNNForecaster(cell, 16, warmup=20)):
        k1 = forecast(model, x, origins, 1)[:, 0]
        np.testing.assert_allclose(k1, one_step(model, x, origins + 1), rtol=1e-5, atol=1e-6)
        many = forecast(model, x, origins, 5)
        np.testing.assert_allclose(many[:, 0], k1, rtol=1e-5, atol=1e-6)


def test_ar_forecast_feeds_its_predictions_back():
    """k = 2 by hand: the window after one step holds x̂_{o+1} in place of x_{o+1}."""
    torch.manual_seed(1)
    model = ARModel(3, 8)
    x = torch.randn(50)
    o = 20
    p1 = model(x[o - 2:o + 1][None])[0]
    p2 = model(torch.stack([x[o - 1], x[o], p1])[None])[0]
    got = forecast(model, x, np.array([o]), 2)[0]
    np.testing.assert_allclose(got, [float(p1.detach()), float(p2.detach())], rtol=1e-6)


def test_both_models_overfit_a_tiny_series():
    exp = TimeSeriesExperiment.build(TINY)
    exp.step(400)
    _steps, ar, rnn = exp.train_loss()
    assert np.mean(ar[-20:]) < 0.01 and np.mean(rnn[-20:]) < 0.01, (ar[-5:], rnn[-5:])


@pytest.fixture(scope="module")
def trained():
    """The default signal and models (seed 0), 100 steps."""
    exp = TimeSeriesExperiment.build(TimeSeriesConfig())
    exp.step(100)
    return exp


def test_k_step_error_grows_with_k_on_the_default_signal(trained):
    ev = trained.evals[-1]
    assert ev.step == 100
    for by_k in ev.by_k:
        assert by_k[0] < by_k[3] < by_k[15], by_k[[0, 3, 15]]
        assert by_k[63] > 3 * by_k[0]
    s = trained.series
    assert all(v < 0.2 for v in ev.val) and s.noise_var == pytest.approx(0.04 / s.std ** 2)


def test_same_seed_same_numbers_in_any_number_of_calls():
    a = TimeSeriesExperiment.build(TINY)
    a.step(5)
    a.step(5)
    b = TimeSeriesExperiment.build(TINY)
    b.step(10)
    for x, y in zip(a.train_loss(), b.train_loss()):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.predictions.forecasts[1], b.predictions.forecasts[1])


def test_live_learning_rate_acts_without_a_rebuild():
    exp = TimeSeriesExperiment.build(TINY)
    exp.step(2)
    exp.apply_live(dataclasses.replace(TINY, lr=0.001))
    exp.step(1)
    assert all(tr.history[-1].lr == 0.001 for tr in exp.trainers) and exp.steps == 3


# ---- the Markov curve -------------------------------------------------------------------------
def test_least_squares_ar_equals_numpy_lstsq():
    x = generate("sines", 400, 0.3, 2)
    tau, end = 6, 250
    rows = np.array([np.r_[x[t - tau:t], 1.0] for t in range(tau, end)])
    ref = np.linalg.lstsq(rows, x[tau:end], rcond=None)[0]
    np.testing.assert_allclose(fit(x, end, tau), ref, rtol=1e-5, atol=1e-6)


def test_markov_curve_random_walk_needs_one_value_and_sines_many():
    walk = make_series(TimeSeriesConfig(signal="walk", noise=0.0))
    m = markov_curve(walk.x, walk.train_end, walk.origins, 16)
    assert m.one_step[0] <= 1.05 * m.one_step.min()
    sines = make_series(TimeSeriesConfig())
    m = markov_curve(sines.x, sines.train_end, sines.origins, 16)
    tau = list(m.taus)
    assert m.k_step[tau.index(32)] < m.k_step[tau.index(4)] / 10


# ---- CSV ----------------------------------------------------------------------------------------
def _csv(header: str, rows) -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


def test_csv_numeric_columns_with_header_delimiter_and_gaps():
    rows = [f"2020-01-{i},{np.sin(i / 5):.4f},{'' if i == 7 else i},{'x' if i % 2 else 'y'}"
            for i in range(300)]
    t = read_table(decode_csv(_csv("date,level,count,city", rows)).replace(",", ";"))
    assert list(t.columns) == ["level", "count"] and t.rows == 300 and not t.truncated
    assert t.columns["count"][7] == pytest.approx(7.0)  # the empty cell, interpolated
    plain = read_table("\n".join(str(i * 0.5) for i in range(MIN_POINTS)))  # no header
    assert list(plain.columns) == ["column 1"]
    gbk = ("城市,温度\n" + "\n".join(f"{'北京上海广州深圳'[i % 4 * 2:][:2]},{i % 11}.5"
                                     for i in range(250))).encode("gbk")
    assert list(read_table(decode_csv(gbk)).columns) == ["温度"]


def test_csv_rows_are_capped():
    from seqviz.limits import MAX_SERIES_POINTS

    t = read_table("v\n" + "\n".join(str(i % 13) for i in range(MAX_SERIES_POINTS + 50)))
    assert t.truncated and len(t.columns["v"]) == MAX_SERIES_POINTS


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b" \n\t\n", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "not text"),
    (b"PK\x03\x04" + bytes(2000), "not text"),
    (b"x" * 2_000_001, "too large"),
    (_csv("a,b", ["1,2"] * 50), "Too short"),
    (_csv("a,b", ["1,2", "3"] + ["4,5"] * 300), "Line 3 has 1 fields"),
    (_csv("name", ["hello"] * 300), "No column"),
    (_csv("n", ["4"] * 300), "Constant"),
    (_csv("n", ["nan"] * 300), "No column"),
])
def test_bad_csv_gets_a_clear_message(data, words):
    with pytest.raises(CsvError) as err:
        decode_csv(data)
    assert words in str(err.value)


def test_uploaded_values_make_the_series():
    values = np.arange(300) % 17 * 2.0 + 100
    cfg = TimeSeriesConfig(signal="upload", column="v", upload="0123456789abcdef")
    s = make_series(cfg, values)
    assert s.noise_var is None and s.train_end == 180
    np.testing.assert_allclose(s.x * s.std + s.mean, values)
    with pytest.raises(ValueError):
        make_series(cfg, values[:50])


# ---- config -------------------------------------------------------------------------------------
def test_config_round_trips_and_refuses_bad_values():
    cfg = TimeSeriesConfig(signal="walk", tau=7, cell="lstm", noise=0.3, lr=0.003, seed=9,
                           train_share=0.7, length=2000, seq_len=64)
    assert check(cfg) == []
    back, notices = from_query(TimeSeriesConfig, to_query(cfg))
    assert back == cfg and notices == []
    bad = {"tau": "0", "signal": "noise", "noise": "inf", "length": "1e9", "upload": "../x",
           "column": "c" * 500, "cell": "transformer", "train_share": "0.99"}
    got, notices = from_query(TimeSeriesConfig, bad)
    assert got == TimeSeriesConfig() and len(notices) == len(bad)
