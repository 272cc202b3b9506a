from easclient.cli import main

main()
