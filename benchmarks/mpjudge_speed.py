"""MPJudge speed on this CPU (CSV rows in benchmarks/results/mpjudge_speed.csv).

1. pairs per second at the paper configuration (fp32, batch 8 and 32), with achieved GFLOP/s
   (torch.utils.flop_counter) against the fp32 matmul GFLOP/s measured in the same run;
2. ranking mode: one clip against N paintings with the music encoded once (``model.rank``),
   against scoring the N pairs one by one;
3. ``--precision``: the paper configuration at batch 8 in each inference precision of the zoo
   (``32-true``, ``bf16-mixed``, ``int8``, ``int8-static``; :mod:`affectzoo.precision`; the first
   call, which compiles ``int8-static``, is a warm-up and not timed): pairs/s, the ratio to fp32,
   achieved GFLOP/s against the fp32 and bf16 matmul peaks measured in the same run, the largest
   score change against fp32 on the same inputs, and the CPU's amx / avx512_bf16 / vnni flags on
   every row; and the official architecture (``mpjudge_official``, width 1024) under bf16 autocast,
   the reference the faster precisions are compared with; and one training step (forward, backward,
   AdamW) in fp32 and under bf16 autocast, what ``trainer.precision: bf16-mixed`` does to a step.

    python benchmarks/mpjudge_speed.py [--paintings 1000] [--repeats 3]
    python benchmarks/mpjudge_speed.py --precision --repeats 3
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

import affectzoo
from results_csv import append_rows


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(repeats: int, n: int = 2048, dtype=torch.float32) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    return 2 * n**3 / best_of(lambda: a @ b, repeats) / 1e9


def pairs_per_second(model, inputs: tuple, repeats: int, batch: int) -> tuple[float, torch.Tensor]:
    """(pairs/s, scores) of ``model(*inputs)`` without gradients, after one warm-up call."""
    with torch.no_grad():
        scores = model(*inputs)
        return batch / best_of(lambda: model(*inputs), repeats), scores


def precision_rows(repeats: int, batch: int = 8) -> list[dict]:
    """The paper configuration in each precision, against fp32, the official architecture under bf16
    autocast and the matmul peaks (see the docstring)."""
    from affectzoo.precision import PRECISIONS, cpu_flags, set_precision

    flags = " ".join(f"{name}={'yes' if on else 'no'}" for name, on in cpu_flags().items())
    peaks = {"fp32": matmul_gflops(repeats), "bf16": matmul_gflops(repeats, dtype=torch.bfloat16)}
    rows = [{"measurement": f"{name} matmul 2048^3", "value": round(value, 1), "unit": "GFLOP/s", "note": flags}
            for name, value in peaks.items()]
    images, mels = torch.randn(batch, 3, 256, 256), torch.randn(batch, 469, 128)
    speeds, outputs, flops = {}, {}, None
    torch.manual_seed(0)
    float_model = affectzoo.create_model("mpjudge").eval()
    for precision in PRECISIONS:
        model = set_precision(copy.deepcopy(float_model), precision)  # the same weights in every precision
        if flops is None:
            with torch.no_grad(), FlopCounterMode(display=False) as counter:
                model(images, mels)
            flops = counter.get_total_flops()
        speeds[precision], outputs[precision] = pairs_per_second(model, (images, mels), repeats, batch)
        achieved = flops * speeds[precision] / batch / 1e9
        change = (outputs[precision] - outputs["32-true"]).abs().max().item()
        rows += [{"measurement": f"paper config {precision}, batch {batch}", "value": round(speeds[precision], 2),
                  "unit": "pairs/s", "ratio_to": "32-true", "ratio": round(speeds[precision] / speeds["32-true"], 2),
                  "n": batch, "note": f"{flags}; max score change vs fp32 {change:.4f}"},
                 {"measurement": f"paper config {precision} achieved, batch {batch}", "value": round(achieved, 1),
                  "unit": "GFLOP/s", "ratio_to": "bf16 matmul 2048^3" if precision == "bf16-mixed" else "fp32 matmul 2048^3",
                  "ratio": round(achieved / (peaks["bf16"] if precision == "bf16-mixed" else peaks["fp32"]), 3),
                  "n": batch, "note": flags}]
    torch.manual_seed(0)
    official = affectzoo.create_model("mpjudge_official", precision="bf16-mixed").eval()
    spectrograms = torch.randn(batch, 3, 256, 256)
    reference, _ = pairs_per_second(official, (images, spectrograms), repeats, batch)
    rows.append({"measurement": f"official architecture (mpjudge_official) bf16-mixed, batch {batch}",
                 "value": round(reference, 2), "unit": "pairs/s", "n": batch, "note": flags})
    rows += [{"measurement": f"paper config {precision} vs official bf16-mixed, batch {batch}",
              "value": round(speeds[precision] / reference, 2), "unit": "ratio", "n": batch, "note": flags}
             for precision in PRECISIONS]
    return rows


def training_rows(repeats: int, batch: int = 8) -> list[dict]:
    """One training step (forward, MSE on the scores, backward, AdamW) of the paper configuration in
    fp32 and under bf16 autocast (what a recipe's ``trainer.precision: bf16-mixed`` does), same inputs."""
    from affectzoo.precision import autocast, cpu_flags

    flags = " ".join(f"{name}={'yes' if on else 'no'}" for name, on in cpu_flags().items())
    images, mels, target = torch.randn(batch, 3, 256, 256), torch.randn(batch, 469, 128), torch.rand(batch)
    speeds, losses = {}, {}
    for precision in ("32-true", "bf16-mixed"):
        torch.manual_seed(0)
        model = affectzoo.create_model("mpjudge").train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step():
            optimizer.zero_grad()
            with autocast(precision):
                loss = torch.nn.functional.mse_loss(model.net(images, mels[:, None]).float(), target)
            loss.backward()
            optimizer.step()
            return loss

        losses[precision] = float(step().detach())
        speeds[precision] = batch / best_of(step, repeats)
    return [{"measurement": f"paper config training step {precision}, batch {batch}", "value": round(speed, 2),
             "unit": "pairs/s", "ratio_to": "32-true", "ratio": round(speed / speeds["32-true"], 2), "n": batch,
             "note": f"{flags}; first-step loss {losses[precision]:.4f}"} for precision, speed in speeds.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paintings", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precision", action="store_true", help="only the precision comparison (3.)")
    args = parser.parse_args()
    if args.precision:
        rows = precision_rows(args.repeats) + training_rows(args.repeats)
        for row in rows:
            print(f"{row['measurement']}: {row['value']} {row.get('unit', '')} (ratio {row.get('ratio', '-')})")
        append_rows("mpjudge_speed", rows)
        return
    torch.manual_seed(0)
    model = affectzoo.create_model("mpjudge").eval()
    peak = matmul_gflops(args.repeats)
    rows = [{"measurement": "fp32 matmul 2048^3", "value": round(peak, 1), "unit": "GFLOP/s"}]
    for batch in (8, 32):
        images, mels = torch.randn(batch, 3, 256, 256), torch.randn(batch, 469, 128)
        with torch.no_grad():
            with FlopCounterMode(display=False) as counter:
                model(images, mels)
            seconds = best_of(lambda: model(images, mels), args.repeats)
        achieved = counter.get_total_flops() / seconds / 1e9
        rows += [{"measurement": f"paper config forward, batch {batch}", "value": round(batch / seconds, 2),
                  "unit": "pairs/s", "n": batch},
                 {"measurement": f"paper config achieved, batch {batch}", "value": round(achieved, 1),
                  "unit": "GFLOP/s", "ratio_to": "fp32 matmul 2048^3", "ratio": round(achieved / peak, 3),
                  "n": batch, "note": f"{counter.get_total_flops() / batch / 1e9:.1f} GFLOP per pair"}]

    small = affectzoo.create_model("mpjudge_lite0").eval()
    tokens = torch.randn(args.paintings, *small.token_shape)
    clip = torch.randn(469, 128)
    ranked = best_of(lambda: small.rank(clip, tokens, k=10, batch_size=250), args.repeats)
    one_by_one = best_of(lambda: [small.score(tokens[i:i + 1], clip[None]) for i in range(args.paintings)], 1)
    rows += [{"measurement": f"rank 1 clip vs {args.paintings} paintings (music once)", "value": round(ranked, 3),
              "unit": "s", "n": args.paintings, "note": "mpjudge_lite0, cached painting tokens"},
             {"measurement": f"score {args.paintings} pairs one by one", "value": round(one_by_one, 3), "unit": "s",
              "n": args.paintings, "ratio_to": "rank (music once)", "ratio": round(one_by_one / ranked, 1),
              "note": "ratio = one-by-one time / ranking time"}]
    append_rows("mpjudge_speed", rows)


if __name__ == "__main__":
    main()
