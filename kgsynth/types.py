"""Every record that crosses a stage boundary, declared in one place.

files → Document → Chunk → Mention / Triple → Entity / Relation (graph store)
seeds + graph → Example → DatasetVersion → export → fine-tune Job → report

Ids are content hashes (see :mod:`kgsynth.ids`), so re-running a stage is idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- documents


class Document(Record):
    id: str  # content hash of the normalized text
    source: str  # path (or path#row for csv/jsonl rows); unique per workspace
    title: str = ""
    text: str
    lang: str = "en"  # "en" | "zh" | other ISO code
    metadata: dict[str, Any] = Field(default_factory=dict)


class Chunk(Record):
    id: str  # hash of (doc_id, index, text)
    doc_id: str
    index: int
    text: str
    start: int  # char offsets of the chunk inside Document.text
    end: int
    lang: str = "en"


# ---------------------------------------------------------------- extraction


class Mention(Record):
    """An entity mention in a chunk; offsets are relative to Chunk.text."""

    id: str
    chunk_id: str
    doc_id: str
    text: str
    type: str  # PERSON, ORG, GPE, ... (spaCy labels; jieba's mapped to the same)
    start: int
    end: int
    sentence: str
    sentence_start: int  # offset of the sentence inside Chunk.text
    lang: str = "en"


class Triple(Record):
    """One extracted fact with its evidence. kind="relation" is typed; "cooccurrence" is not."""

    id: str
    subject: str
    subject_type: str
    predicate: str
    object: str
    object_type: str
    kind: Literal["relation", "cooccurrence"] = "relation"
    chunk_id: str
    doc_id: str
    sentence: str
    sentence_start: int
    subject_span: tuple[int, int]  # offsets inside Chunk.text
    object_span: tuple[int, int]
    extractor: str = "spacy"
    confidence: float = 1.0


class Extraction(Record):
    """What an extractor returns for one chunk."""

    chunk_id: str
    mentions: list[Mention] = Field(default_factory=list)
    triples: list[Triple] = Field(default_factory=list)


# ---------------------------------------------------------------- graph


class Entity(Record):
    id: str  # hash of the canonical key chosen by entity resolution
    name: str  # canonical display name
    type: str
    aliases: list[str] = Field(default_factory=list)
    mentions: int = 0  # number of mentions behind this entity
    chunk_ids: list[str] = Field(default_factory=list)  # chunks that mention it
    lang: str = "en"


class Evidence(Record):
    triple_id: str
    chunk_id: str
    doc_id: str
    sentence: str
    start: int = 0  # span of the sentence inside the chunk
    end: int = 0


class Relation(Record):
    id: str  # hash of (source_id, predicate, target_id, kind)
    source_id: str
    target_id: str
    predicate: str
    kind: Literal["relation", "cooccurrence"] = "relation"
    weight: float = 1.0  # number of supporting sentences (cooccurrence: co-mention count)
    evidence: list[Evidence] = Field(default_factory=list)


class GraphBatch(Record):
    """A unit of writing to a graph store: merged into what is there (never replacing it)."""

    entities: list[Entity] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)


class Fact(Record):
    """A relation seen from one entity, with both ends resolved: what `graph show` prints."""

    relation: Relation
    source: Entity
    target: Entity


class Subgraph(Record):
    entities: list[Entity] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)


class GraphPath(Record):
    entities: list[Entity]
    relations: list[Relation]  # relations[i] joins entities[i] and entities[i+1] (either direction)


class GraphStats(Record):
    entities: int = 0
    relations: int = 0  # typed relations
    cooccurrences: int = 0
    entity_types: dict[str, int] = Field(default_factory=dict)
    predicates: dict[str, int] = Field(default_factory=dict)


class MergeDecision(Record):
    """Entity resolution recorded one merge: `merged` became an alias of `kept`."""

    kept_id: str
    kept_name: str
    merged_name: str
    # "type": a surface form re-typed by the votes of its name's mentions (merged_name "X [OLD]")
    reason: Literal["normalized", "alias", "acronym", "embedding", "type"]
    score: float = 1.0


class GraphDelta(Record):
    """What one ingest batch changed in the graph (kg/delta.py), so dataset versions built before it
    can be updated: documents, chunks, entities and relations added, removed and changed.

    A relation is changed when its evidence changed, an entity when its name or type did. `slots`
    are the typed-relation sets that gained or lost a member, as (entity id, predicate, "out"|"in"):
    an answer read off the graph ("how many", "which one") depends on them.
    """

    seq: int  # the batch's number in the workspace's graph log
    store: str
    docs_added: list[str] = Field(default_factory=list)  # new sources
    docs_removed: list[str] = Field(default_factory=list)  # sources gone
    docs_replaced: dict[str, str] = Field(default_factory=dict)  # old id -> new id: changed text
    chunks_added: list[str] = Field(default_factory=list)
    chunks_removed: list[str] = Field(default_factory=list)
    entities_added: list[str] = Field(default_factory=list)
    entities_removed: list[str] = Field(default_factory=list)
    entities_changed: list[str] = Field(default_factory=list)
    relations_added: list[str] = Field(default_factory=list)
    relations_removed: list[str] = Field(default_factory=list)
    relations_changed: list[str] = Field(default_factory=list)
    slots: list[tuple[str, str, str]] = Field(default_factory=list)
    typed_added: int = 0  # how many of relations_added / relations_removed are typed (not
    typed_removed: int = 0  # co-occurrences): a dataset's budget follows the number of facts
    created_at: str = Field(default_factory=utcnow)

    @staticmethod
    def slots_of(source_id: str, predicate: str, target_id: str) -> list[tuple[str, str, str]]:
        """The two typed-relation sets a relation belongs to: its subject's and its object's."""
        return [(source_id, predicate, "out"), (target_id, predicate, "in")]


# ---------------------------------------------------------------- examples and datasets


class Span(Record):
    chunk_id: str
    start: int
    end: int


class Provenance(Record):
    triple_ids: list[str] = Field(default_factory=list)
    relation_ids: list[str] = Field(default_factory=list)
    entity_ids: list[str] = Field(default_factory=list)
    chunk_ids: list[str] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    spans: list[Span] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)  # the cited sentences, verbatim


class Example(Record):
    """One labeled example.

    QA: ``input`` is the question, ``output`` the answer. Classification: ``input`` is the text,
    ``label`` the class. ``id`` is a content hash of (task, input, output, label).
    """

    id: str
    task: str  # "qa.single_fact", "qa.multi_hop", ..., "classify", "entity_typing", "relation_cls"
    input: str
    output: str | None = None
    label: str | None = None
    lang: str = "en"
    confidence: float = 1.0
    label_source: str = "template"  # "seed", "gold", "weak", "model", "template", "review", ...
    provenance: Provenance = Field(default_factory=Provenance)
    template_id: str | None = None
    generator: str | None = None
    generator_params: dict[str, Any] = Field(default_factory=dict)
    parent_id: str | None = None  # the example this one was augmented or edited from
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=utcnow)

    @property
    def labeled_by_person(self) -> bool:
        """A label a person gave (a seed, a gold row, a review): no machine stage overrules it."""
        return self.label_source in PERSON_LABEL_SOURCES


PERSON_LABEL_SOURCES = ("review", "seed", "gold")


def example_id(task: str, input: str, output: str | None, label: str | None) -> str:
    from kgsynth.ids import content_id

    return content_id(task, input, output, label, prefix="ex_")


class DatasetVersion(Record):
    """An immutable set of examples; stages read one version and write a new one."""

    id: str
    name: str
    stage: str  # "synth", "annotate", "review", "augment", "clean", "import", ...
    parents: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    stats: dict[str, Any] = Field(default_factory=dict)
    count: int = 0
    created_at: str = Field(default_factory=utcnow)
    # Parquet files of the examples (large versions)
    shards: list[str] = Field(default_factory=list)


class ReviewDecision(Record):
    id: str
    example_id: str
    version_id: str
    action: Literal["accept", "reject", "relabel", "edit"]
    label: str | None = None
    input: str | None = None
    output: str | None = None
    reviewer: str = "anonymous"
    created_at: str = Field(default_factory=utcnow)


# ---------------------------------------------------------------- jobs


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class Job(Record):
    id: str
    kind: str  # name in the job registry: "ingest", "synth", "clean", "export", "finetune", ...
    state: JobState = JobState.queued
    params: dict[str, Any] = Field(default_factory=dict)
    done: int = 0
    total: int = 0
    message: str = ""
    pid: int | None = None
    error: str | None = None
    artifacts: dict[str, str] = Field(default_factory=dict)  # name -> path inside the workspace
    result: dict[str, Any] = Field(default_factory=dict)
    created_at: str = Field(default_factory=utcnow)
    started_at: str | None = None
    finished_at: str | None = None


# ---------------------------------------------------------------- outputs


class ExportRecord(Record):
    """An export of a dataset version: its folder and what it holds (a catalog row)."""

    path: str  # the export folder (one row per folder: a new export there replaces it)
    version: str  # the dataset version exported
    format: str  # the exporter's name
    counts: dict[str, int] = Field(default_factory=dict)  # examples per split
    files: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    created_at: str = Field(default_factory=utcnow)


class RunRecord(Record):
    """A fine-tuning run: the model it wrote, what it trained on and how it scored (a catalog row)."""

    path: str  # the run folder: the model or adapter
    kind: str  # the job kind that trained it: train_classifier, train_sft, train_reader
    data: str  # the export (or file) it trained on
    metrics: dict[str, Any] = Field(default_factory=dict)  # held-out scores, as the run has them
    report: str | None = None  # its evaluation report.json, where one was written
    job_id: str | None = None
    created_at: str = Field(default_factory=utcnow)


# ---------------------------------------------------------------- the closed loop


class Miss(Record):
    """One held-out or dev row a trained model got wrong (or, without labels, was unsure of), with
    the graph material it is about: read by the targeted synthesis of `kgsynth improve`."""

    text: str
    gold: str | None = None  # None: no label (disagreement mode)
    predicted: str = ""
    example_id: str | None = None  # when the row came from a kgsynth export
    doc_ids: list[str] = Field(default_factory=list)
    chunk_ids: list[str] = Field(default_factory=list)
    entity_ids: list[str] = Field(default_factory=list)
    relation_ids: list[str] = Field(default_factory=list)
    qa_type: str | None = None  # readers: the question type
    disagreement: float = 0.0  # share of sampled predictions that differ from the majority


class Weakness(Record):
    """Where a trained model is weak, from its evaluation on labeled rows (or, without labels, from
    its disagreement across sampled predictions)."""

    run: str  # the run folder (the model)
    kind: Literal["classifier", "reader"]
    data: str  # the rows it was scored on
    labeled: bool = True
    score: float = 0.0  # macro-F1 (classifier) or F1 (reader) on those rows
    per_group: dict[str, float] = Field(default_factory=dict)  # F1 per label / question type
    weak_groups: list[str] = Field(default_factory=list)  # lowest F1 first
    confusions: list[tuple[str, str, int]] = Field(default_factory=list)  # gold, predicted, count
    misses: list[Miss] = Field(default_factory=list)
