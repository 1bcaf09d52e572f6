"""URL-backed widgets: the URL sets the widget, a user change writes the URL (the default removes the parameter),
and a URL that moves on its own (a link, Back/Forward) wins over the widget's previous value."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def script() -> None:
    import streamlit as st

    from dashboard.urlstate import url_multiselect, url_number, url_segmented, url_selectbox, url_toggle

    st.session_state["values"] = {
        "range": url_selectbox(st, "Time range", ["7d", "14d", "30d"], "range", "30d"),
        "service": url_multiselect(st, "Services", ["api", "db"], "service"),
        "window": url_segmented(st, "Window", ["7", "30"], "window", "7"),
        "personal": url_toggle(st, "Personal", "personal"),
        "top": url_number(st, "Top", "top", 10, min_value=0, max_value=500, step=1),
    }


def values(app: AppTest) -> dict[str, object]:
    result: dict[str, object] = app.session_state["values"]
    return result


def test_the_url_sets_every_widget_and_bad_values_fall_back() -> None:
    app = AppTest.from_function(script)
    app.query_params["range"] = "7d"
    app.query_params["service"] = ["db", "nope"]
    app.query_params["window"] = "30"
    app.query_params["personal"] = "on"
    app.query_params["top"] = "9999"  # out of range: the default
    app.run()
    assert values(app) == {"range": "7d", "service": ["db"], "window": "30", "personal": True, "top": 10}


def test_defaults_stay_out_of_the_url_and_changes_go_in() -> None:
    app = AppTest.from_function(script).run()
    assert values(app)["range"] == "30d"
    assert dict(app.query_params) == {}  # nothing written on the first run (no history entry)
    app.selectbox(key="url:range").set_value("14d")
    app.toggle(key="url:personal").set_value(True)
    app.number_input(key="url:top").set_value(5)
    app.run()
    assert app.query_params["range"] == "14d"
    assert app.query_params["personal"] == "on"
    assert app.query_params["top"] == "5"
    app.selectbox(key="url:range").set_value("30d").run()  # back to the default: the parameter goes
    assert "range" not in app.query_params


def test_a_url_that_moves_on_its_own_wins_over_the_widget() -> None:
    app = AppTest.from_function(script).run()
    app.selectbox(key="url:range").set_value("14d").run()
    assert values(app)["range"] == "14d"
    # what Back does: the browser's URL returns to the earlier state and the app reruns
    app.query_params["range"] = "7d"
    app.run()
    assert values(app)["range"] == "7d"
    assert app.selectbox(key="url:range").value == "7d"
    del app.query_params["range"]
    app.run()
    assert values(app)["range"] == "30d"
