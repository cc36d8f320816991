# The hosted Space: Hugging Face serves Streamlit apps as Docker Spaces (README.md front matter, sdk: docker).
# tests/test_space.py checks this file against the app and replays its install and start steps.
FROM python:3.11-slim

# Spaces run the container as user 1000; its home also holds the Hugging Face cache the checkpoints land in.
RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/venv/bin:$PATH \
    PYTHONUNBUFFERED=1
RUN python -m venv /home/user/venv
WORKDIR /home/user/app

# CPU torch first, pinned, from the CPU index: the default index would pull a multi-GB CUDA build.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY --chown=user requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
# The app; checkpoints/ comes along when the Space repository has it.
COPY --chown=user . .
RUN pip install --no-cache-dir --no-deps -e .
# Without checkpoints/, the pinned campaign (training.hubrepo: BINARYGAN_HUB_REPO at HUB_REVISION) is downloaded into
# the image's Hugging Face cache now, at build time, and verified against its manifest: the first visit downloads
# nothing. A build that cannot fetch or verify it fails. With checkpoints/ in the image this step does nothing.
ENV HF_HOME=/home/user/.cache/huggingface
RUN python -m training.hub --preload

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["streamlit", "run", "streamlit_app.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true", "--browser.gatherUsageStats=false"]
