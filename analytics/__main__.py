from analytics.cli import main

main()
