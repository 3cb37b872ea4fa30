"""Every router of the API, in the order they appear in the contract."""

from app.attachments.router import router as attachments_router
from app.audit.router import router as audit_router
from app.auth.router import jwks_router
from app.auth.router import router as auth_router
from app.changes.router import router as changes_router
from app.dci.router import router as dci_router
from app.dci.router import senders_router as dci_senders_router
from app.decisions.router import router as decisions_router
from app.dibao.router import router as dibao_router
from app.events.router import router as events_router
from app.exports.router import router as exports_router
from app.field.router import router as field_router
from app.health.router import router as health_router
from app.households.router import router as households_router
from app.imports.router import router as imports_router
from app.insurance.router import router as insurance_router
from app.pairings.router import helpers_router, pairings_router
from app.policy_lines.router import router as policy_lines_router
from app.proposals.router import router as proposals_router
from app.regions.router import router as regions_router
from app.reports.dibao_coverage import router as dibao_coverage_router
from app.reports.pairing_coverage import router as pairing_coverage_router
from app.reports.router import router as targets_router
from app.reports.summary import router as summary_router
from app.villages.router import router as villages_router
from app.webhooks.router import router as webhooks_router

ROUTERS = [
    health_router,
    jwks_router,
    auth_router,
    regions_router,
    policy_lines_router,
    households_router,
    villages_router,
    helpers_router,
    pairings_router,
    pairing_coverage_router,
    dibao_router,
    dibao_coverage_router,
    insurance_router,
    summary_router,
    imports_router,
    exports_router,
    targets_router,
    events_router,
    webhooks_router,
    audit_router,
    dci_senders_router,
    dci_router,
    proposals_router,
    decisions_router,
    changes_router,
    attachments_router,
    field_router,
]
