"""In-memory emulators of the vendor APIs, served over HTTP for tests and demos."""

from richpanel_middleware.sandbox.richpanel_app import create_richpanel_sandbox
from richpanel_middleware.sandbox.state import RichpanelSandboxSettings, RichpanelSandboxState

__all__ = ["RichpanelSandboxSettings", "RichpanelSandboxState", "create_richpanel_sandbox"]
