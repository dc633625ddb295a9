"""Meeting routes, one module per part: organizing (list, form, agenda, pack, calendar), the
room (attendance, speakers, votes, live), minutes and video."""

from . import urls_minutes, urls_organize, urls_room

app_name = "meetings"

urlpatterns = [*urls_organize.urlpatterns, *urls_room.urlpatterns, *urls_minutes.urlpatterns]
