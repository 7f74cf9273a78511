"""Priority matrix (importance–performance), its chart as data, and safe CSV export."""

import io

import pandas as pd
import pytest

from tpm.charts.drivers import driver_bars, priority_chart
from tpm.csv_export import to_safe_csv
from tpm.metrics.priority import priority_matrix


def stats(rows):
    return pd.DataFrame([{"touchpoint": n, "score_0_100": x, "n": k, "mean": 1 + x * 9 / 100, "ci_low": 1.0, "ci_high": 2.0,
                          "scale_min": 1, "scale_max": 10} for n, x, k in rows])


def drivers(rows):
    return pd.DataFrame([{"driver": n, "share": y, "raw": y / 100, "sign": 1, "n": 100} for n, y in rows])


def test_quadrants_by_hand():
    s = stats([("A", 40, 100), ("B", 80, 200), ("C", 45, 50), ("D", 75, 80), ("E", 60, 300)])
    d = drivers([("A", 40), ("B", 30), ("C", 5), ("D", 10), ("E", 15)])
    # means: performance 60, importance 20
    matrix, x, y = priority_matrix(s, d)
    assert (x, y) == (60, 20)
    q = dict(zip(matrix.touchpoint, matrix.quadrant))
    assert q == {"A": "concentrate", "B": "keep_up", "C": "low_priority", "D": "overkill", "E": "overkill"}
    near = dict(zip(matrix.touchpoint, matrix.near_line))
    assert near["E"] and not near["A"]  # E sits exactly on the performance crosshair
    assert matrix.touchpoint.tolist()[0] == "A"  # "concentrate here" first


def test_midpoint_crosshair_and_unknown_touchpoints():
    s = stats([("A", 40, 100), ("B", 80, 200)])
    d = drivers([("A", 60), ("B", 40), ("Z", 0)])
    matrix, x, y = priority_matrix(s, d, crosshair="midpoint")
    assert x == 50 and y == 50
    assert set(matrix.touchpoint) == {"A", "B"}
    with pytest.raises(ValueError):
        priority_matrix(s, d, crosshair="target")


def test_chart_is_readable_as_data():
    s = stats([("Hotline", 40, 100), ("Website", 80, 200), ("Chat", 45, 50), ("Filiale", 75, 80)])
    d = drivers([("Hotline", 40), ("Website", 30), ("Chat", 10), ("Filiale", 20)])
    matrix, x, y = priority_matrix(s, d)
    fig = priority_chart(matrix, x, y, "Weiterempfehlung", "de")
    texts = [a.text for a in fig.layout.annotations]
    for name in ("Hier ansetzen", "Stärken halten", "Geringe Priorität", "Möglicher Overkill"):
        assert any(name in text for text in texts)
    assert {"Hotline", "Website", "Chat", "Filiale"} <= {tx.replace(" ≈", "") for tx in texts}
    assert len(fig.layout.shapes) >= 4  # shaded quadrants (+ crosshairs)
    assert "Leistung" in fig.layout.xaxis.title.text and "Wichtigkeit" in fig.layout.yaxis.title.text
    assert fig.layout.separators == ",."
    english = priority_chart(matrix, x, y, "recommendation", "en")
    assert any("Concentrate here" in a.text for a in english.layout.annotations)


def test_user_text_in_labels_is_escaped():
    s = stats([("<img src=x onerror=alert(1)>", 40, 100), ("B", 80, 100)])
    d = drivers([("<img src=x onerror=alert(1)>", 60), ("B", 40)])
    matrix, x, y = priority_matrix(s, d)
    fig = priority_chart(matrix, x, y, "NPS", "en")
    assert not any("<img" in (a.text or "") for a in fig.layout.annotations)
    bars = driver_bars(d, "NPS", "en")
    assert not any("<img" in str(v) for v in bars.data[0].y)


def test_csv_export_neutralises_formulas():
    frame = pd.DataFrame({"Kontaktpunkt": ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "Hotline", "-2"], "Wert": [1.5, 2.0, -3.0, 4.0, 5.0]})
    data = to_safe_csv(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["Kontaktpunkt"].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'@SUM(A1)", "Hotline", "'-2"]
    assert back["Wert"].tolist() == [1.5, 2.0, -3.0, 4.0, 5.0]  # numbers stay numbers


def test_target_crosshair_uses_each_touchpoints_own_target():
    s = stats([("A", 70, 100), ("B", 80, 200), ("C", 60, 50)])
    d = drivers([("A", 50), ("B", 40), ("C", 10)])  # mean importance 33.3
    targets = pd.Series({"A": 75.0, "B": 70.0})  # C has none: it is held to the mean target 72.5
    matrix, x, _y = priority_matrix(s, d, crosshair="target", targets=targets)
    assert x == 72.5
    q = dict(zip(matrix.touchpoint, matrix.quadrant))
    assert q["A"] == "concentrate"   # important, 70 < own target 75 (although above the mean score)
    assert q["B"] == "keep_up"       # 80 ≥ 70
    assert q["C"] == "low_priority"  # 60 < 72.5
    with pytest.raises(ValueError, match="no touchpoint has a target"):
        priority_matrix(s, d, crosshair="target", targets=pd.Series(dtype=float))
