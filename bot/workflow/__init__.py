"""The orchestrator-workers core. Imports neither slack_* nor sqlalchemy."""

from bot.workflow.orchestrator import Workflow, WorkflowConfig
from bot.workflow.types import (
    AnalysisReady,
    CallRecorded,
    CopyRequest,
    Event,
    LLMCall,
    Plan,
    PlanReady,
    RunFinished,
    RunStatus,
    Subtask,
    Usage,
    Variation,
    VariationDone,
    VariationFailed,
    VariationStarted,
    VariationText,
)

__all__ = [
    "AnalysisReady",
    "CallRecorded",
    "CopyRequest",
    "Event",
    "LLMCall",
    "Plan",
    "PlanReady",
    "RunFinished",
    "RunStatus",
    "Subtask",
    "Usage",
    "Variation",
    "VariationDone",
    "VariationFailed",
    "VariationStarted",
    "VariationText",
    "Workflow",
    "WorkflowConfig",
]
