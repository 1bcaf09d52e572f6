"""Overview page: its analytics land with a later issue; until then it says what it will show."""

from dashboard.context import current_context
from dashboard.placeholder import render_planned_page

render_planned_page("overview.py", current_context())
