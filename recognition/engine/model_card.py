"""Render a model card (the JSON written by training and evaluation) as Markdown."""

from __future__ import annotations

from typing import Any

ATTRIBUTION = """\
- UNIPEN: Guyon, Schomaker, Plamondon, Liberman, Janet, "UNIPEN project of on-line data
  exchange and recognizer benchmarks", ICPR 1994. Data set "Unipen data set of on-line
  (vectorial) handwriting - train_r01_v07", The International Unipen Foundation, 1999,
  Zenodo, doi:10.5281/zenodo.1195803, CC BY 4.0. Converted to ink JSONL: categories
  1a/1b/1c only, letters inside words cut at the points the segmentation gives, writer
  ids anonymised, y axis flipped, empty strokes dropped.
- pendigits: E. Alpaydin and F. Alimoglu, "Pen-Based Recognition of Handwritten Digits",
  UCI Machine Learning Repository (id 81), CC BY 4.0. Converted to ink JSONL: y axis
  flipped.
"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _ensemble_lines(card: dict[str, Any]) -> list[str]:
    """For an averaged model: its members; the lines after them describe member 1."""
    ens = card.get("ensemble")
    if not ens:
        return []
    lines = [
        f"- Ensemble: {ens.get('combination')}, one graph and one `model.tflite` "
        f"({card.get('training', {}).get('tflite_bytes')} bytes"
        + (", weights int8 by dynamic-range quantisation" if ens.get("quantized") else "")
        + "). Members, trained separately with the same code and data:"
    ]
    for i, m in enumerate(ens.get("members", []), 1):
        c, v = m.get("config", {}), m.get("val", {})
        lines.append(
            f"  {i}. `{m.get('folder')}`: epochs {c.get('epochs')}, batch {c.get('batch_size')}, "
            f"peak learning rate {c.get('learning_rate')}, seed {c.get('seed')}; "
            f"{m.get('params')} weights; {m.get('seconds')} s; val top1_35 "
            f"{_fmt(v.get('top1_35'))}, top1 {_fmt(v.get('top1'))} (alone, before rejection)."
        )
    lines.append("- Member 1 in detail (parameters in all, the table is its training):")
    return lines


def _points_lines(card: dict[str, Any]) -> list[str]:
    """For a two-view model (preprocessing version 2): the pen-path models and the mixing."""
    points = card.get("points")
    if not points:
        return []
    lines = [
        "",
        "## Pen-path view (preprocessing version 2)",
        "",
        "`recognition/engine/points.py` (pen-path version "
        f"`{card.get('points_version')}`): the ink, normalised like the raster (bounding box "
        "centred, longer side 1), resampled at 64 positions evenly spaced along the pen-down "
        "path (each stroke at least 4% of it, so dots survive); per position x, y, the step "
        "to the next position, the direction of travel (cos, sin), pen-down and pen-up flags, "
        "and the box's width and height. A 1-D CNN (`network.build_points_model`: 3 pairs of "
        "convolutions 64/128/192 wide, global average and max pooling, dense 256, 63 "
        f"outputs) reads it; `model_points.tflite` ({points.get('tflite_bytes')} bytes, int8 "
        "weights) averages these runs of `recognition.engine.points_training`:",
    ]
    for i, m in enumerate(points.get("members", []), 1):
        c, v = m.get("config", {}), m.get("val", {})
        lines.append(
            f"  {i}. `{m.get('folder')}`: epochs {c.get('epochs')}, batch {c.get('batch_size')}, "
            f"peak learning rate {c.get('learning_rate')}, seed {c.get('seed')}, stroke "
            f"reversal/reordering {c.get('reorder', 0.0)}; {m.get('params')} weights; "
            f"{m.get('seconds')} s; val top1_35 {_fmt(v.get('top1_35'))}, top1 "
            f"{_fmt(v.get('top1'))}, top3 {_fmt(v.get('top3'))} (alone, before rejection)."
        )
    comb = card.get("combination", {})
    lines += [
        "",
        f"Ink is answered with (1 - w) x raster + w x pen path, w = {card.get('points_weight')} "
        f"({comb.get('rule', '')})"
        + (
            "; the pen path is read as drawn and with every stroke reversed, the two readings "
            "averaged (`points_both_directions`)"
            if card.get("points_both_directions")
            else ""
        )
        + ". Val (before rejection) for each w:",
        "",
        "| w | top1 | top3 | top1_35 |",
        "|---|---|---|---|",
    ]
    for g in comb.get("grid", []):
        lines.append(
            f"| {g['points_weight']} | {g['top1']:.4f} | {g['top3']:.4f} | {g['top1_35']:.4f} |"
        )
    img = comb.get("image_val_renders", {})
    if img:
        lines += [
            "",
            f"Photos and scans use the raster model alone, rejected when p(reject) >= "
            f"{_fmt(card.get('image_reject_threshold'))}, chosen on {img.get('n')} val "
            "characters rendered as pictures (`recognition/engine/image_renders.py`, the test "
            "set's conditions) and val scribbles so rendered: "
            f"{_fmt(img.get('val_real_rejected'))} of the characters and "
            f"{_fmt(img.get('val_scribbles_rejected'))} of the scribbles "
            f"declined; those renders score top1_35 {_fmt(img.get('top1_35'))}, top1 "
            f"{_fmt(img.get('top1'))} before rejection.",
        ]
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    """The Markdown model card: data, filtering, classes, preprocessing, training, metrics."""
    tr = card.get("training", {})
    cfg = tr.get("config", {})
    lines = [
        f"# Inkwell recogniser, model version {card.get('version')}",
        "",
        card.get(
            "summary",
            "A compact CNN over a 28x28 anti-aliased raster of the ink, "
            "62 classes plus a reject output, served with LiteRT.",
        ),
        "",
        "## Classes",
        "",
        f"`{card.get('classes')}` (62), plus one hidden *reject* output trained on synthetic "
        "scribbles. A drawing is rejected when p(reject) >= "
        f"{_fmt(card.get('reject_threshold'))} (chosen on the validation split so that at "
        "most 1% of real validation characters are rejected).",
        "",
        "## Data and filtering",
        "",
        f"- Files: {', '.join('`' + d + '`' for d in cfg.get('data', []))}; split `train` for "
        "training, UNIPEN `val` for every choice (epochs, threshold); `test` only for the "
        "figures below.",
        f"- Training samples kept: {tr.get('train_samples')} of {tr.get('train_read')} read "
        f"({tr.get('samples_by_source')}); {tr.get('fragments_dropped')} dropped as fragments "
        f"(longer side < {cfg.get('fragment_ratio')} x the writer's median character size); "
        f"{tr.get('bad_ink_skipped')} skipped for ink outside CONTRACTS section 1 limits.",
        f"- Synthetic scribbles for the reject output: {tr.get('scribbles')} per version "
        "(random walks, zig-zag hatching, scribbled blobs, tangles, spirals, stars, "
        "self-crossing polygons, dot sprays, grids), seeded.",
        "",
        "## Preprocessing",
        "",
        f"Version `{card.get('preprocessing_version')}`"
        + (" (version 1's raster plus the pen path below)" if card.get("points") else "")
        + " (`recognition/engine/preprocessing.py`): ink is fitted by its bounding box into a "
        f"22 px square of a {card.get('input_size')}x{card.get('input_size')} raster keeping "
        "the aspect ratio, centred, drawn at 4x with round caps and a stroke width of 10% of "
        "the box, then box-filtered down (anti-aliased). Photos and scans: EXIF rotation, "
        "grayscale, small images enlarged to 256 px and large ones shrunk to 512, automatic "
        "inversion, lighting flattened, ruled lines subtracted (straight lines across most "
        "of the picture at slopes up to 0.2), Otsu threshold with hysteresis (faint pixels "
        "touching dark ones), the strokes' cores when blur filled the loops, specks dropped "
        "by connected pieces, crop, then the glyph is thinned to its skeleton (Zhang-Suen, "
        "short spurs pruned) and redrawn as ink is: skeleton box into the same 22 px box, "
        "round pen of 10% of it, same 4x reduction.",
        "",
        *_points_lines(card),
        "",
        "## Training" + (" of the raster view" if card.get("points") else ""),
        "",
        *_ensemble_lines(card),
        f"- Parameters: {_fmt(tr.get('params'))} weights; epochs {cfg.get('epochs')}, batch "
        f"{cfg.get('batch_size')}, AdamW (weight decay 1e-4), peak learning rate "
        f"{cfg.get('learning_rate')} with warm-up and cosine decay, label smoothing "
        f"{cfg.get('label_smoothing')}, seed {cfg.get('seed')}.",
        f"- Augmentation on strokes ({cfg.get('augmented_copies')} augmented copies + the "
        "clean one, one drawn per sample and epoch): rotation, shear, x/y scale, elastic "
        "distortion, point jitter, point dropping, stroke width.",
        f"- Time: {tr.get('seconds')} s on {tr.get('machine')} (TensorFlow "
        f"{tr.get('tensorflow')}); rasterising {tr.get('rasterise_seconds')} s.",
        "",
        "| epoch | loss | accuracy | val accuracy | seconds |",
        "|---|---|---|---|---|",
    ]
    for row in tr.get("history", []):
        lines.append(
            f"| {row['epoch']} | {row['loss']:.4f} | {row['accuracy']:.4f} | "
            f"{row['val_accuracy']:.4f} | {row['seconds']} |"
        )
    lines += ["", "## Metrics", ""]
    metrics = card.get("metrics", {})
    keys = ["n", "top1", "top3", "top1_35", "rejected", "ms_per_sample"]
    lines.append("| set | " + " | ".join(keys) + " |")
    lines.append("|---" * (len(keys) + 1) + "|")
    for name, m in metrics.items():
        shown = "val (at training, before rejection)" if name == "val" else name
        lines.append(f"| {shown} | " + " | ".join(_fmt(m.get(k, "")) for k in keys) + " |")
    lines.append("")
    val = metrics.get("val", {})
    if "val_scribbles_rejected" in val:
        lines.append(
            f"Validation rejection: {_fmt(val['val_real_rejected'])} of real "
            f"characters, {_fmt(val['val_scribbles_rejected'])} of unseen scribbles."
        )
        lines.append("")
    for name, m in metrics.items():
        if m.get("confusions"):
            pairs = ", ".join(f"{a}->{b} ({n})" for a, b, n in m["confusions"][:15])
            lines.append(f"- Most frequent confusions on {name} (true->predicted): {pairs}")
    commands = card.get("commands", {})
    if commands:
        lines += ["", "## Commands that produced this model and these figures", "", "```"]
        lines += [f"# {k}\n{v}" for k, v in commands.items()]
        lines += ["```"]
    if card.get("notes"):
        lines += ["", "## Notes", "", card["notes"]]
    lines += ["", "## Data attribution (CC BY 4.0)", "", ATTRIBUTION]
    return "\n".join(lines)
