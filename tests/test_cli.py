import subprocess
import sys

import ipscsim as ips
from ipscsim.cli import main


def test_run_prints_summary_and_writes_files(tmp_path, capsys):
    out, fig = tmp_path / "m.csv", tmp_path / "m.png"
    assert main(["run", "maury2015", "--out", str(out), "--plot", str(fig), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "mn_fraction" in text
    assert "maury2015" in text
    assert "stage markers, day first on 10% of cells / day of peak" in text
    assert "OLIG2 4.3/6.8 " in text  # onset and peak day, as Result.stage_timing() gives them
    assert "MNX1 5.5/14.0+" in text  # MNs still accumulating on the protocol's last day
    assert out.stat().st_size > 1000
    assert fig.stat().st_size > 10_000


def test_run_a_protocol_file(tmp_path, capsys):
    f = tmp_path / "mine.toml"
    ips.protocols.get("chambers2009").renamed("mine").to_toml(f)
    assert main(["run", str(f), "--days", "8"]) == 0
    assert "mine" in capsys.readouterr().out


def test_protocols_lists_every_preset(capsys):
    assert main(["protocols"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ips.protocols.names())


def test_protocols_say_how_each_schedule_was_sourced(capsys):
    """Every preset step and operation carries an evidence tag, and a schedule that is mostly recalled
    or inferred says so in ``ipscsim protocols`` (qu2014's was inferred from its abstract)."""
    from ipscsim.protocols.presets import evidence

    for name in ips.protocols.names():
        p = ips.protocols.get(name)
        counts = evidence(p)
        assert counts["untagged"] == 0, name
        assert sum(counts.values()) == len(p.steps) + len(p.operations)
    assert evidence(ips.protocols.get("qu2014"))["inferred"] == 8
    main(["protocols"])
    lines = capsys.readouterr().out.splitlines()
    flagged = {lines[i - 1].split()[0] for i, ln in enumerate(lines) if "unverified" in ln}
    assert "qu2014" in flagged
    assert "maury2015" not in flagged  # its steps come from later papers that follow it


def _one_line_error(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("ipscsim: error:")
    return err[0]


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    assert main(["run", "mauri2015"]) == 2
    assert "did you mean 'maury2015'" in _one_line_error(capsys)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "name = 'x'\ndays = 5\n[[steps]]\ncompound = 'SGA'\nconcentration = 1\nstart = 0\nend = 1\n"
    )
    assert main(["run", str(bad)]) == 2
    assert "unknown compound 'SGA'" in _one_line_error(capsys)
    assert main(["run", "maury2015", "--genotype", "SOD2"]) == 2
    _one_line_error(capsys)


def test_console_entry_point_runs_as_module():
    proc = subprocess.run(
        [sys.executable, "-m", "ipscsim", "run", "no_such_protocol"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1


def test_compare_prints_what_differs_and_both_outcomes(tmp_path, capsys):
    p = ips.protocols.get("maury2015")
    q = p.without("SAG")
    q.to_toml(tmp_path / "no_sag.toml")
    fig = tmp_path / "cmp.png"
    assert main(["compare", "maury2015", str(tmp_path / "no_sag.toml"), "--plot", str(fig)]) == 0
    out = capsys.readouterr().out
    assert "SAG" in out
    assert "0.5 uM days 2-9" in out  # the step only the first has
    a, b = ips.simulate(p).summary(), ips.simulate(q).summary()
    row = next(line for line in out.splitlines() if line.startswith("mn_fraction"))
    assert row.split()[1:] == [f"{a['mn_fraction']:.4g}", f"{b['mn_fraction']:.4g}"]
    assert fig.stat().st_size > 10_000
    assert main(["compare", "maury2015", "maury2015"]) == 0
    assert "the schedules are the same" in capsys.readouterr().out


def test_run_with_the_agent_based_engine(capsys):
    assert main(["run", "chambers2009", "--engine", "abm", "--cells", "500", "--days", "2"]) == 0
    assert "abm engine" in capsys.readouterr().out
    assert main(["run", "maury2015", "--cells", "500"]) == 2
    assert "--cells" in capsys.readouterr().err


def test_every_command_help_gives_an_example(capsys):
    for command in ("protocols", "run", "compare", "sweep", "bench"):
        assert main([command, "--help"]) == 0
        assert "example" in capsys.readouterr().out, command


def test_an_output_path_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys):
    """--out naming a folder, or a file under a file, failed after the whole run (its summary
    printed, its time courses lost) with an OS error that named no option."""
    folder = tmp_path / "isdir.csv"
    folder.mkdir()
    afile = tmp_path / "f.txt"
    afile.write_text("x")
    for option, path, words in [
        ("--out", folder, "is a folder; give a file inside it"),
        ("--out", afile / "x.csv", "is a file, not a folder"),
        ("--plot", tmp_path / "nofolder" / "x.png", "does not exist; create it first"),
        ("--out", tmp_path / "x.xlsx", "must end in .csv or .parquet"),
    ]:
        assert main(["run", "maury2015", option, str(path)]) == 2
        out = capsys.readouterr()
        assert option in out.err
        assert words in out.err
        assert "MN" not in out.out  # refused before simulating: no summary
    spec = tmp_path / "spec.toml"
    spec.write_text('protocol = "maury2015"\ndays = 1\n[space]\n"SAG.scale" = [1]\n')
    assert main(["sweep", str(spec), "--store", ""]) == 2  # it wrote the store into the cwd
    assert "store: '' is not a folder name" in capsys.readouterr().err
