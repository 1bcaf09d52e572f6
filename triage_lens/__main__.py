from triage_lens.cli.main import main

main()
