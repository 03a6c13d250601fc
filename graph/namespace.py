"""The ecgraph vocabulary, spelled once.

``ECG`` is a closed :class:`rdflib.namespace.DefinedNamespace`: a term that the
ontology (``ontology/ecg.ttl``) does not declare raises ``AttributeError``
instead of minting a new IRI. ``tests/test_ontology.py`` checks that this
module and the ontology declare the same terms.
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

ID = Namespace("https://w3id.org/ecgraph/id/")
"""Where instances live."""

GRAPH = Namespace("https://w3id.org/ecgraph/graph/")
"""Names of the named graphs (curated data, user data, imports, inferences)."""


class ECG(DefinedNamespace):
    """The ecgraph ontology: ``https://w3id.org/ecgraph/ontology#``."""

    _fail = True
    _NS = Namespace("https://w3id.org/ecgraph/ontology#")

    # classes
    Act: URIRef
    Activity: URIRef
    Chip: URIRef
    ChipUsage: URIRef
    ClassificationCriterion: URIRef
    Condition: URIRef
    ConditionKind: URIRef
    Confidence: URIRef
    Country: URIRef
    CountryGroup: URIRef
    Directorship: URIRef
    ECCN: URIRef
    EndUse: URIRef
    Exposure: URIRef
    Firm: URIRef
    GroupMembership: URIRef
    Guidance: URIRef
    ImportRun: URIRef
    Instrument: URIRef
    Listing: URIRef
    NameMatch: URIRef
    Ownership: URIRef
    OwnershipBasis: URIRef
    Party: URIRef
    Person: URIRef
    Place: URIRef
    RedFlagIndicator: URIRef
    Restriction: URIRef
    RestrictionType: URIRef
    ReviewPolicy: URIRef
    Role: URIRef
    Rule: URIRef
    ScreeningList: URIRef
    Severity: URIRef
    SourceDocument: URIRef
    SourceRecord: URIRef
    Status: URIRef
    StatusPeriod: URIRef
    Threshold: URIRef

    # properties
    accepted: URIRef
    act: URIRef
    activity: URIRef
    address: URIRef
    addressCountry: URIRef
    addressedTo: URIRef
    amends: URIRef
    anyCriterion: URIRef
    appliesToActivity: URIRef
    appliesToChip: URIRef
    appliesToItem: URIRef
    asOf: URIRef
    cfrSection: URIRef
    chip: URIRef
    classifiedBy: URIRef
    complianceOn: URIRef
    conditionKind: URIRef
    confidence: URIRef
    coverageNote: URIRef
    coversAct: URIRef
    cslSourceName: URIRef
    derivedBy: URIRef  # issue 13: the stamp of the inferred graph kept in the store
    derivedClassification: URIRef
    derivedFrom: URIRef  # issue 13
    designedBy: URIRef
    destinationCountry: URIRef
    destinationGroup: URIRef
    directInterest: URIRef
    directedOrganization: URIRef
    director: URIRef
    edgeFrom: URIRef
    edgeTo: URIRef
    effectiveOn: URIRef
    excludedDestinationCountry: URIRef
    excludedDestinationGroup: URIRef
    excludesActivity: URIRef
    excludesItem: URIRef
    explanation: URIRef
    exposedHeadquartersCountry: URIRef
    exposedParty: URIRef
    exposedRole: URIRef
    exposesRole: URIRef
    extendsList: URIRef
    externalId: URIRef
    fdpFootnote: URIRef
    frCitation: URIRef
    frDocNumber: URIRef
    frNotice: URIRef
    fromUsage: URIRef
    hasCondition: URIRef
    hasCriterion: URIRef
    headquarteredIn: URIRef
    headquartersCountry: URIRef
    headquartersGroup: URIRef
    headquartersRole: URIRef
    hub: URIRef
    impliesControl: URIRef
    importedFile: URIRef
    imposedBy: URIRef
    inGroupOn: URIRef
    includesGroup: URIRef
    incorporatedIn: URIRef
    interconnectBandwidth: URIRef
    isOperative: URIRef
    isResidual: URIRef
    isoAlpha2: URIRef
    isoAlpha3: URIRef
    issuedBy: URIRef
    itemOriginCountry: URIRef
    itemOriginGroup: URIRef
    knownEndUse: URIRef
    lei: URIRef
    licenceRequirement: URIRef
    listedOn: URIRef
    listedOwnersShare: URIRef
    listedParty: URIRef
    listedRole: URIRef
    manufacturedBy: URIRef
    matchFeature: URIRef
    matchId: URIRef
    matchScore: URIRef
    matchedName: URIRef
    matchedParty: URIRef
    matchedRecord: URIRef
    maxExclusive: URIRef
    memberCountry: URIRef
    memberOf: URIRef
    memoryBandwidth: URIRef
    memoryBandwidthDensity: URIRef
    minExclusive: URIRef
    minInclusive: URIRef
    modifies: URIRef
    note: URIRef
    onBehalfOf: URIRef
    onList: URIRef
    onParameter: URIRef
    opensanctionsDataset: URIRef
    owned: URIRef
    owner: URIRef
    ownershipBasis: URIRef
    ownershipThreshold: URIRef
    pathStep: URIRef
    percentage: URIRef
    percentageMax: URIRef
    percentageMin: URIRef
    performanceDensity: URIRef
    precedence: URIRef
    processNode: URIRef
    publishedOn: URIRef
    rank: URIRef
    recordCount: URIRef
    redFlag: URIRef
    registrationNumber: URIRef
    relieves: URIRef
    requiredAction: URIRef
    requiresEndUse: URIRef
    requiresFootnote: URIRef
    requiresRedFlag: URIRef
    restriction: URIRef
    restrictionType: URIRef
    reviewDecision: URIRef
    reviewPolicy: URIRef
    rin: URIRef
    role: URIRef
    sanctionProgram: URIRef
    severity: URIRef
    sha256: URIRef
    shippedFrom: URIRef
    shippedFromCountry: URIRef
    statedClassification: URIRef
    status: URIRef
    statusOf: URIRef
    stepIndex: URIRef
    suppliedBy: URIRef
    threshold: URIRef
    throughUltimateParent: URIRef
    tpp: URIRef
    treatedAs: URIRef
    url: URIRef
    usedBy: URIRef
    usedIn: URIRef
    validFrom: URIRef
    validUntil: URIRef
    variantOf: URIRef
    verdictEffect: URIRef


PREFIXES = {
    "ecg": str(ECG._NS),
    "id": str(ID),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
}
"""The prefixes every query and serialisation may use without declaring them."""

# Each term as a plain class attribute: ``ECG.listedOn`` is then an attribute read, not a call through
# DefinedNamespace's metaclass that checks the name and makes a new URIRef (728,000 such calls, about a
# second, when the stored usages of a million-triple file are answered). Undeclared names still raise.
for _name in ECG.__annotations__:
    setattr(ECG, _name, ECG._NS[_name])
del _name
