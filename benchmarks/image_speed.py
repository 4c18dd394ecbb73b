"""Images per second of ImageEmbedder(backend="cnn") against a hand-written torch loop.

Both ways describe the same images with the same network, EfficientNet-Lite0 with its
ImageNet weights as :func:`mmsk.modality._image_cnn.load_network` returns it (one
object, loaded once per device before timing), at the same batch size and image size:

- ``ours``: ``ImageEmbedder(backend="cnn", cache=False, show_progress=False,
  batch_size=B, image_size=S, device=D).fit_transform(frame)`` on a one-column frame
  of PNG file paths. With ``cache=False`` every image is decoded and passed through the
  network at every call.
- ``hand``: a loop written here without mmsk's reading or batching code: per batch of
  ``B`` paths, ``PIL.Image.open(path).convert("RGB")``, a bilinear resize to
  ``S x S`` with Pillow, ``(pixels - 127) / 128`` in NumPy (the normalisation the
  EfficientNet-Lite weights were trained with), a ``(B, 3, S, S)`` float32 tensor
  moved to the device, then ``network.extract_features`` and a global average pooling
  under ``torch.inference_mode()``; the pooled features are copied back to the CPU
  batch by batch, as the estimator does. The loop also times its three stages
  (decode, resize and normalise, network), which shows where the time goes.

The two outputs are checked to agree (``assert_allclose``, atol 1e-4) before timing;
the comparison only counts if they do. The ways alternate within each round (the order
flips every round) and the report gives the median over rounds of images per second,
the ratio ours / hand of the medians, the median of the per-round ratios, and the same
ratio by process CPU seconds, which on a shared machine reflect the work done rather
than the share of the cores the process got. The target is a ratio of at least 0.9.
When it is missed, a cProfile of one ``ours`` call is saved in the JSON, and its most
expensive functions in the Markdown report.

Images: 256 PNG files (by default) of 96 to 320 pixels a side, cut at random places
from 18 photographs that scikit-image and scikit-learn ship (astronaut, cat, coffee,
rocket, coins, a galaxy field, a retina, a flower, a temple and others), written once
to a temporary folder.

Devices: the CPU, and a CUDA GPU when torch sees one; the report says when there was
none. Run from the repository root::

    python benchmarks/image_speed.py
    python benchmarks/image_speed.py --images 512 --rounds 5 --image-size 160

Writes ``benchmarks/results/image_speed.json`` and ``image_speed.md``.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import PIL
import sklearn
import torch
from numpy.testing import assert_allclose
from PIL import Image
from skimage import data as skimage_data
from sklearn.datasets import load_sample_image

from mmsk import ImageEmbedder
from mmsk.modality._image_cnn import load_network

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WAYS = ("ours", "hand")
TARGET_RATIO = 0.9
PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "coins",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "camera",
    "horse",
    "moon",
    "page",
    "colorwheel",
    "grass",
    "gravel",
    "brick",
)
SAMPLE_IMAGES = ("china.jpg", "flower.jpg")
SIDES = (96, 320)
# EfficientNet-Lite was trained on pixels mapped from [0, 255] to about [-1, 1].
PIXEL_MEAN, PIXEL_SCALE = 127.0, 128.0


# --------------------------------------------------------------------------- images


def source_photos():
    """The photographs the crops are cut from, as uint8 arrays (grey or RGB)."""
    photos = [getattr(skimage_data, name)() for name in PHOTOS]
    photos += [load_sample_image(name) for name in SAMPLE_IMAGES]
    # The horse silhouette is boolean: white on black.
    return [photo.astype(np.uint8) * 255 if photo.dtype == bool else photo for photo in photos]


def write_images(folder, n_images, random_state=0):
    """Write ``n_images`` PNG crops of the photographs to ``folder``; return their paths."""
    rng = np.random.default_rng(random_state)
    photos = source_photos()
    paths = []
    for i in range(n_images):
        photo = photos[i % len(photos)]
        height, width = photo.shape[:2]
        side = int(rng.integers(SIDES[0], min(SIDES[1], height, width) + 1))
        top = int(rng.integers(0, height - side + 1))
        left = int(rng.integers(0, width - side + 1))
        crop = photo[top : top + side, left : left + side]
        path = Path(folder) / f"crop_{i:04d}.png"
        Image.fromarray(np.ascontiguousarray(crop)).save(path)
        paths.append(str(path))
    return paths


# --------------------------------------------------------------------------- the two ways


def run_ours(frame, device, batch_size, image_size):
    embedder = ImageEmbedder(
        backend="cnn",
        cache=False,
        show_progress=False,
        batch_size=batch_size,
        image_size=image_size,
        device=device,
    )
    return embedder.fit_transform(frame)


def run_hand(paths, device, batch_size, image_size, stages=None):
    """Decode, resize, normalise and describe ``paths`` batch by batch (float32 output)."""
    network = load_network(device)
    clock = time.perf_counter
    outputs = []
    with torch.inference_mode():
        for start in range(0, len(paths), batch_size):
            began = clock()
            images = []
            for path in paths[start : start + batch_size]:
                with Image.open(path) as image:
                    images.append(image.convert("RGB"))
            decoded = clock()
            pixels = np.stack(
                [
                    np.asarray(
                        image.resize((image_size, image_size), Image.BILINEAR),
                        dtype=np.float32,
                    )
                    for image in images
                ]
            )
            pixels = np.ascontiguousarray(
                ((pixels - PIXEL_MEAN) / PIXEL_SCALE).transpose(0, 3, 1, 2)
            )
            prepared = clock()
            maps = network.extract_features(torch.from_numpy(pixels).to(device))
            pooled = torch.nn.functional.adaptive_avg_pool2d(maps, 1).flatten(1)
            outputs.append(pooled.float().cpu().numpy())
            finished = clock()
            if stages is not None:
                stages["decode"] += decoded - began
                stages["resize_normalise"] += prepared - decoded
                stages["network"] += finished - prepared
    return np.concatenate(outputs)


def timed(function):
    """Wall and process CPU seconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def synchronize(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def measure_device(device, paths, args):
    """Alternate the two ways ``args.rounds`` times on ``device``; the raw numbers."""
    frame = pd.DataFrame({"image": paths})
    load_network(device)
    # Warm-up (allocator, kernels, page cache of the files) and the agreement check.
    warm = min(len(paths), 2 * args.batch_size)
    ours = run_ours(frame.iloc[:warm], device, args.batch_size, args.image_size)
    hand = run_hand(paths[:warm], device, args.batch_size, args.image_size)
    assert_allclose(ours, hand, atol=1e-4, rtol=1e-4)
    max_difference = float(np.abs(ours - hand).max())

    rounds = []
    for index in range(args.rounds):
        order = WAYS if index % 2 == 0 else WAYS[::-1]
        measured = {}
        stages = {"decode": 0.0, "resize_normalise": 0.0, "network": 0.0}
        for way in order:
            synchronize(device)
            if way == "ours":
                call = partial(run_ours, frame, device, args.batch_size, args.image_size)
            else:
                call = partial(run_hand, paths, device, args.batch_size, args.image_size, stages)
            wall, cpu, features = timed(call)
            synchronize(device)
            assert features.shape == (len(paths), 1280)
            measured[way] = {"wall_s": wall, "cpu_s": cpu}
        rounds.append({"order": list(order), **measured, "hand_stages_s": stages})
        print(
            f"  {device} round {index + 1}: ours {len(paths) / measured['ours']['wall_s']:.1f} "
            f"img/s, hand {len(paths) / measured['hand']['wall_s']:.1f} img/s",
            flush=True,
        )
    return {
        "device": device,
        "n_images": len(paths),
        "max_abs_difference": max_difference,
        "rounds": rounds,
        **summarise(rounds, len(paths)),
    }


def summarise(rounds, n_images):
    def median(way, key):
        return statistics.median(r[way][key] for r in rounds)

    per_second = {way: n_images / median(way, "wall_s") for way in WAYS}
    stages = {
        stage: statistics.median(r["hand_stages_s"][stage] for r in rounds)
        for stage in rounds[0]["hand_stages_s"]
    }
    return {
        "images_per_second": per_second,
        "ratio": per_second["ours"] / per_second["hand"],
        "paired_ratio": statistics.median(
            r["hand"]["wall_s"] / r["ours"]["wall_s"] for r in rounds
        ),
        "cpu_ratio": median("hand", "cpu_s") / median("ours", "cpu_s"),
        "ms_per_image": {way: 1000 / per_second[way] for way in WAYS},
        "hand_stage_ms_per_image": {
            stage: 1000 * seconds / n_images for stage, seconds in stages.items()
        },
    }


def profile_ours(paths, device, args, n_images=64):
    """cProfile of one ``ours`` call on ``n_images`` images; the top functions."""
    frame = pd.DataFrame({"image": paths[:n_images]})
    profiler = cProfile.Profile()
    profiler.enable()
    run_ours(frame, device, args.batch_size, args.image_size)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
    return text.getvalue()


# --------------------------------------------------------------------------- report


def machine_info():
    info = {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": os.getloadavg()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "sklearn": sklearn.__version__,
        "cuda_available": torch.cuda.is_available(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
        info["cuda_version"] = torch.version.cuda
    return info


def markdown(report):
    machine, args = report["machine"], report["arguments"]
    lines = [
        '# ImageEmbedder(backend="cnn") against a hand-written torch loop',
        "",
        f"{args['images']} PNG crops (96-320 px a side) of 18 photographs shipped with "
        f"scikit-image and scikit-learn, described by EfficientNet-Lite0 (the same "
        f"`load_network` object both ways) at {args['image_size']} px, batches of "
        f'{args["batch_size"]}; `ImageEmbedder(backend="cnn", cache=False)` '
        "(`fit_transform`, decoding included) against a loop written with Pillow, NumPy "
        "and torch (decoding included). Median of "
        f"{args['rounds']} alternating rounds. Target: ours / hand >= {TARGET_RATIO}.",
        "",
        f"Machine: {machine['cpu_count']} CPUs ({machine['processor']}), torch threads "
        f"{machine['torch_threads']}, load average {machine['load_average_at_start']:.1f} "
        f"at start and {machine['load_average_at_end']:.1f} at end (shared machine), "
        f"Python {machine['python']}, torch {machine['torch']}, Pillow {machine['pillow']}, "
        f"{machine['date']}.",
        "",
        "| device | ours (img/s) | hand (img/s) | ours / hand | paired ratio | "
        "ratio by CPU time | max abs diff | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in report["results"]:
        speed = result["images_per_second"]
        met = "met" if result["ratio"] >= TARGET_RATIO else "**missed**"
        lines.append(
            f"| {result['device_name']} | {speed['ours']:.1f} | {speed['hand']:.1f} | "
            f"{result['ratio']:.3f} | {result['paired_ratio']:.3f} | "
            f"{result['cpu_ratio']:.3f} | {result['max_abs_difference']:.1e} | {met} |"
        )
    if not report["cuda"]:
        lines += ["", "CUDA: no CUDA GPU on this machine; only the CPU was measured."]
    lines += [
        "",
        "Where the hand loop's time goes (ms per image, median round):",
        "",
        "| device | decode PNG | resize + normalise | network (incl. copy to/from device) |",
        "|---|---|---|---|",
    ]
    for result in report["results"]:
        stage = result["hand_stage_ms_per_image"]
        lines.append(
            f"| {result['device_name']} | {stage['decode']:.2f} | "
            f"{stage['resize_normalise']:.2f} | {stage['network']:.2f} |"
        )
    lines += ["", *report["notes"], ""]
    if report.get("profile"):
        lines += [
            "## Profile of one `ours` call (64 images), ratio under target",
            "",
            "```",
            report["profile"].strip(),
            "```",
            "",
        ]
    return "\n".join(lines)


NOTES = [
    "Ratios above 1 mean the estimator is faster. `paired ratio` is the median of the "
    "per-round ratios (both ways of a round ran back to back under the same load); "
    "`ratio by CPU time` uses process CPU seconds instead of wall time. Both ways do "
    "the same work: the same decoding with Pillow, the same bilinear resize, the same "
    "normalisation and the same network, so a ratio near 1 is expected, and on this "
    "shared machine differences of a few percent between rounds are noise. When the "
    "wall-time ratios and the CPU-time ratio disagree, the load of the machine changed "
    "between the two ways of a round; the CPU-time ratio then measures the work done.",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto: the CPU, and the CUDA GPU too when torch sees one",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="auto: profile when a ratio is under the target",
    )
    parser.add_argument("--output-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = torch.cuda.is_available()
    if args.device == "cuda" and not cuda:
        raise SystemExit("--device cuda: no CUDA GPU on this machine.")
    devices = {"cpu": ["cpu"], "cuda": ["cuda"]}.get(args.device, ["cpu"] + ["cuda"] * cuda)
    machine = machine_info()
    started = time.perf_counter()
    results = []
    profile = None
    with tempfile.TemporaryDirectory(prefix="mmsk_image_speed_") as folder:
        paths = write_images(folder, args.images)
        for device in devices:
            result = measure_device(device, paths, args)
            result["device_name"] = (
                f"CUDA ({torch.cuda.get_device_name(0)})" if device == "cuda" else "CPU"
            )
            results.append(result)
        slow = [r for r in results if r["ratio"] < TARGET_RATIO]
        if args.profile == "always" or (args.profile == "auto" and slow):
            profile = profile_ours(paths, (slow or results)[0]["device"], args)
    machine["load_average_at_end"] = os.getloadavg()[0]
    seconds = time.perf_counter() - started
    report = {
        "arguments": {**vars(args), "output_dir": str(args.output_dir)},
        "machine": machine,
        "cuda": cuda,
        "cuda_note": None if cuda else "no CUDA GPU on this machine",
        "target_ratio": TARGET_RATIO,
        "results": results,
        "target_met": all(r["ratio"] >= TARGET_RATIO for r in results),
        "profile": profile,
        "notes": NOTES + [f"Whole benchmark: {seconds:.0f} s."],
        "seconds": seconds,
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "image_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output_dir / "image_speed.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
