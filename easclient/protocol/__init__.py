"""The EAS protocol core, sans I/O: request builders, response parsers, typed results.

Everything public is re-exported here (see notes/PROTOCOL-API.md for the contract).
"""

from __future__ import annotations

from . import (
    calendar,
    commands,
    contacts,
    email,
    errors,
    find,
    foldercommands,
    foldersync,
    foldersync_flow,
    getitemestimate,
    http,
    itemoperations,
    meetingresponse,
    moveitems,
    multipart,
    notes,
    options,
    ping,
    ping_flow,
    provision,
    provision_flow,
    query,
    search,
    sendmail,
    settings,
    smartmail,
    status,
    sync,
    sync_flow,
    tasks,
    timezone,
    versions,
)
from .calendar import *  # noqa: F403
from .commands import *  # noqa: F403
from .contacts import *  # noqa: F403
from .email import *  # noqa: F403
from .errors import *  # noqa: F403
from .find import *  # noqa: F403
from .foldercommands import *  # noqa: F403
from .foldersync import *  # noqa: F403
from .foldersync_flow import *  # noqa: F403
from .getitemestimate import *  # noqa: F403
from .http import *  # noqa: F403
from .itemoperations import *  # noqa: F403
from .meetingresponse import *  # noqa: F403
from .moveitems import *  # noqa: F403
from .multipart import *  # noqa: F403
from .notes import *  # noqa: F403
from .options import *  # noqa: F403
from .ping import *  # noqa: F403
from .ping_flow import *  # noqa: F403
from .provision import *  # noqa: F403
from .provision_flow import *  # noqa: F403
from .query import *  # noqa: F403
from .search import *  # noqa: F403
from .sendmail import *  # noqa: F403
from .settings import *  # noqa: F403
from .smartmail import *  # noqa: F403
from .status import *  # noqa: F403
from .sync import *  # noqa: F403
from .sync_flow import *  # noqa: F403
from .tasks import *  # noqa: F403
from .timezone import *  # noqa: F403
from .versions import *  # noqa: F403

__all__ = [
    *commands.__all__,
    *errors.__all__,
    *http.__all__,
    *query.__all__,
    *status.__all__,
    *versions.__all__,
    *options.__all__,
    *email.__all__,
    *settings.__all__,
    *provision.__all__,
    *foldersync.__all__,
    *ping.__all__,
    *sync.__all__,
    *getitemestimate.__all__,
    *multipart.__all__,
    *itemoperations.__all__,
    *sendmail.__all__,
    *moveitems.__all__,
    *foldercommands.__all__,
    *smartmail.__all__,
    *meetingresponse.__all__,
    *search.__all__,
    *find.__all__,
    *calendar.__all__,
    *contacts.__all__,
    *tasks.__all__,
    *notes.__all__,
    *timezone.__all__,
    # the flows: state machines fed parsed answers (Provision, FolderSync, Sync, Ping)
    *provision_flow.__all__,
    *foldersync_flow.__all__,
    *sync_flow.__all__,
    *ping_flow.__all__,
]
