"""The dashboard's shared choices: every user gets their own variants and seed, carried from page to page. The
address is the state: the variants, the seed and each page's main settings are read from it when a session first
shows them (?variants=a,b&seed=3&bins=50) and written back to it on every run, so a copied link reproduces the view.
Nothing lives in module globals."""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

import streamlit as st

from explorer import address, relations
from training.rng import MAX_SEED
from training.variants import REGISTRY

VARIANTS = tuple(REGISTRY)
MAX_COMPARE = 4  # side-by-side columns that still fit a laptop screen
MAX_SELECTION = 8  # the shared selection, as long as the longest picker (curves on one chart); a page shows its first
SEED_MAX = MAX_SEED
PAPER_TRIO = ("mlp-dbn-wgan-gp", "mlp-sbn-wgan-gp", "mlp-real-wgan-gp")  # Fig. 4: DBN, SBN, real-valued


def init_session() -> None:
    """Seed the shared choices once per session, from the query string when it names any (?variants=a,b&seed=3)."""
    ss = st.session_state
    qp = st.query_params
    # Each choice is read, and its warning shown, once: the app and then the page both call this in the first run.
    if "selection" not in ss:
        chosen, refused = address.parse_selection(qp.get_all("variants"), MAX_SELECTION)
        ss.selection = chosen or list(PAPER_TRIO)
        if refused:
            st.warning(
                f"Ignored in the address: {', '.join(refused)}; showing {', '.join(ss.selection)}. Known variants "
                "are listed on the Overview page."
            )
            qp["variants"] = ",".join(ss.selection)  # mended at once, on pages without a picker too
    if "seed" not in ss:
        raw = qp.get("seed", "0")
        try:
            seed = int(raw)
        except ValueError:
            seed = 0
            st.warning(f"Ignored seed {raw[:20]!r} in the address: not an integer; using seed 0.")
        ss.seed = clamp_seed(seed, warn=True)
        if "seed" in qp and qp["seed"] != str(ss.seed):
            qp["seed"] = str(ss.seed)


def clamp_seed(seed: int, warn: bool = False) -> int:
    clamped = min(max(int(seed), 0), SEED_MAX)
    if warn and clamped != seed:
        st.warning(f"Seed {seed} is outside [0, {SEED_MAX}]; using {clamped}.")
    return clamped


def _sync(page_key: str, shared: str) -> None:
    st.session_state[shared] = st.session_state[page_key]
    if shared == "selection":
        st.query_params["variants"] = ",".join(st.session_state.selection)


def flag(text: str) -> bool:
    """A toggle in the address: 1 or 0."""
    return {"1": True, "0": False}[text]


def from_address(
    key: str,
    param: str,
    options: Container[Any],
    default: Any,
    cast: Callable[[str], Any] = str,
    refused: Callable[[str], None] | None = None,
) -> Any:
    """Seed widget `key` from ?param= the first time this session draws it (else `default`): the widget is then
    created without a value of its own. A value that does not parse, or is not among `options`, is ignored with a
    message (`refused(raw)` where the page can say more). Returns the widget's current value."""
    ss = st.session_state
    if key not in ss:
        raw = st.query_params.get(param)
        value = default
        if raw is not None:
            try:
                value = cast(raw)
                if value not in options:
                    raise ValueError(raw)
            except (ValueError, KeyError):
                value = default
                if refused is not None:
                    refused(raw)
                else:
                    st.warning(
                        f"Ignored {param}={raw[:20]!r} in the address: not one of this page's choices; using "
                        f"{format_value(default)}."
                    )
        ss[key] = value
    return ss[key]


def address_widget(
    widget: Callable[..., Any],
    label: str,
    *args: Any,
    key: str,
    param: str,
    options: Container[Any],
    default: Any,
    cast: Callable[[str], Any] = str,
    refused: Callable[[str], None] | None = None,
    fallback: Any = None,
    **kwargs: Any,
) -> Any:
    """`widget(label, *args, key=key, **kwargs)` bound to ?param=: seeded from the address (`from_address`), drawn,
    and its value written back (`to_address`). Where `options` change from run to run (a live study's budgets, a
    critic that vanished), `fallback` stands in for a default or a kept value that is no longer among them.
    Returns the widget's value."""
    if fallback is not None and default not in options:
        default = fallback
    from_address(key, param, options, default, cast, refused)
    if fallback is not None and st.session_state[key] not in options:
        st.session_state[key] = fallback
    value = widget(label, *args, key=key, **kwargs)
    to_address(**{param: value})
    return value


def refusal(param: str, why: str, default: Any) -> Callable[[str], None]:
    """The warning for an address value `param` that was refused: what it got, `why`, and the default used."""

    def say(raw: str) -> None:
        st.warning(
            f"Ignored {param}={raw[:20]!r} in the address: {why}; using {format_value(default)}.",
            icon=":material/warning:",
        )

    return say


def int_input(
    container: Any, label: str, lo: int, hi: int, *, key: str, param: str, default: int, what: str, help: str
) -> int:
    """An integer box over [lo, hi] bound to ?param=; an address value outside it is refused with a warning that
    names `what` it is (a seed, the speed)."""
    return int(
        address_widget(
            container.number_input,
            label,
            lo,
            hi,
            key=key,
            param=param,
            options=range(lo, hi + 1),
            default=default,
            cast=int,
            refused=refusal(param, f"{what} is an integer in [{lo}, {hi}]", default),
            help=help,
        )
    )


def path_seed_input(container: Any, label: str, *, key: str, param: str, default: int, help: str) -> int:
    """A seed box of its own (a path's start or end), in the address under `param`, over the project's seed range."""
    return address_widget(
        container.number_input,
        label,
        0,
        SEED_MAX,
        key=key,
        param=param,
        options=range(SEED_MAX + 1),
        default=default,
        cast=int,
        help=help,
    )


def format_value(value: Any) -> str:
    """A setting as the address writes it: booleans as 1/0, floats without trailing zeros."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return f"{value:g}" if isinstance(value, float) else str(value)


def to_address(**params: Any) -> None:
    """Write this view's settings into the address, so that the link reproduces it."""
    for param, value in params.items():
        text = format_value(value)
        if st.query_params.get(param) != text:
            st.query_params[param] = text


def pick_variants(
    page: str, label: str = "Variants", limit: int = MAX_COMPARE, options: tuple[str, ...] = VARIANTS
) -> list[str]:
    """A multiselect bound to the session's shared selection, so a choice made on one page carries to the next."""
    init_session()  # a page run on its own (AppTest, a script) has not been through streamlit_app.py
    key = f"{page}_variants"
    selection = [v for v in st.session_state.selection if v in options][:limit]
    st.session_state[key] = selection
    with st.popover("Filter the list", icon=":material/filter_list:"):
        chosen = {
            facet: st.pills(facet, relations.facet_values(facet), selection_mode="multi", key=f"{page}_facet_{facet}")
            for facet in relations.FACETS
        }
    matching = set(relations.matching(chosen))
    shown = [v for v in options if v in matching or v in selection]  # a chosen variant stays, filtered or not
    st.multiselect(
        label,
        shown,
        key=key,
        max_selections=limit,
        on_change=_sync,
        args=(key, "selection"),
        placeholder=f"Choose variants ({len(shown)} of {len(options)} listed)",
        help=f"Up to {limit}; the choice is shared by every page. Filter the list by recipe, neuron, objective or "
        "architecture with the button beside it.",
    )
    to_address(variants=",".join(selection))
    return selection


def seed_input(page: str, label: str = "Seed") -> int:
    init_session()
    key = f"{page}_seed"
    st.session_state[key] = clamp_seed(st.session_state.seed)
    st.number_input(
        label,
        min_value=0,
        max_value=SEED_MAX,
        step=1,
        key=key,
        on_change=_sync,
        args=(key, "seed"),
        help="The seed of the latent vectors z: the same seed gives the same latents to every variant, "
        "so columns compare like with like.",
    )
    seed = clamp_seed(st.session_state.seed)
    to_address(seed=seed)
    return seed


def twins_toggle(page: str) -> bool:
    """A toggle that puts each chosen variant beside its twin in the other recipe (?twins=1): the paper's text
    recipe against the reference code's."""
    return bool(
        address_widget(
            st.toggle,
            "Both recipes",
            key=f"{page}_twins",
            param="twins",
            options=(True, False),
            default=False,
            cast=flag,
            help="Show each chosen variant beside the same experiment in the other recipe: the paper's text "
            "(annealed slope, batch-statistics BatchNorm) and its reference code (slope 1, learned "
            "affine BatchNorm, truncated-normal initialisation).",
        )
    )


def resample_button(page: str) -> None:
    def bump() -> None:
        st.session_state.seed = (clamp_seed(st.session_state.seed) + 1) % (SEED_MAX + 1)

    st.button("Resample", key=f"{page}_resample", on_click=bump, help="Next seed", icon=":material/casino:")


def copy_link(url_path: str) -> None:
    """The sidebar's link to this view, as the run left the address, in a code box with its copy button."""
    from urllib.parse import urlencode

    page = (st.context.url or "").rstrip("/")  # the browser's address less its query; None outside a browser
    if not page.endswith(f"/{url_path}"):
        page = f"{page}/{url_path}"
    query = urlencode(st.query_params.to_dict())
    link = page + (f"?{query}" if query else "")
    st.sidebar.caption("Link to this view (the copy button is at its right)")
    st.sidebar.code(link, language=None, wrap_lines=True)
