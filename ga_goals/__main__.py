from ga_goals.cli import main

main()
