from lucent_lint.cli import main

main()
